/**
 * Rates, sizes, times and handles written the way tc writes them ("128kbit", "32k", "10ms",
 * "ffff:", "1:10"), parsed once at the edge of the API into plain numbers. Pure; no kernel.
 * Shared by src/tc (which throws on bad input) and src/topology (which collects problems).
 */
import { InvalidArgumentError } from '../../errors.js';

/** A rate: bits per second as a number, or a tc string such as "128kbit", "10mbit", "1mbps". */
export type RateInput = number | string;
/** A size: bytes as a number, or a tc string such as "32k", "1500b", "1m", "64kbit". */
export type SizeInput = number | string;
/** A time: microseconds as a number, or a tc string such as "10ms", "500us", "1s". */
export type TimeInput = number | string;
/** A tc handle: the 32-bit value, or a tc string such as "ffff:", "1:10", "root", "ingress". */
export type HandleInput = number | string;

// Scale to bits per second (tc matches rate units case-insensitively; "bps" means bytes).
const RATE_UNITS: Record<string, number> = {
  '': 1,
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
  kibps: 8 * 1024,
  mibps: 8 * 1024 ** 2,
  gibps: 8 * 1024 ** 3,
  tibps: 8 * 1024 ** 4,
};

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  kbit: 1024 / 8,
  mbit: 1024 ** 2 / 8,
  gbit: 1024 ** 3 / 8,
};

const TIME_UNITS: Record<string, number> = {
  '': 1,
  us: 1,
  usec: 1,
  usecs: 1,
  ms: 1e3,
  msec: 1e3,
  msecs: 1e3,
  s: 1e6,
  sec: 1e6,
  secs: 1e6,
};

const NUMBER_THEN_UNIT = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)\s*$/;

/** A value of the wrong type, for messages (JS and YAML callers can pass anything). */
function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${String(v)} (${typeof v})`;
}

/** The kinds of quantity tc writes with units. */
export type QuantityKind = 'rate' | 'size' | 'time';

const QUANTITIES: Record<QuantityKind, { units: Record<string, number>; accepted: string }> = {
  rate: { units: RATE_UNITS, accepted: 'bit, kbit, mbit, gbit, kibit, mibit, bps, kbps, mbps, gbps' },
  size: { units: SIZE_UNITS, accepted: 'b, k, kb, m, mb, g, gb, kbit, mbit' },
  time: { units: TIME_UNITS, accepted: 'us, ms, s' },
};

/**
 * The value of a tc quantity string in its base unit (bits/s, bytes, microseconds), not
 * rounded and not range-checked: the common core of parseRate/parseSize/parseTime, for callers
 * with their own policy (src/topology). A bare number is in the base unit, as in tc.
 * @throws InvalidArgumentError for malformed text or an unknown unit, naming `what`.
 */
export function scaleQuantity(kind: QuantityKind, text: string, what: string = kind): number {
  const { units, accepted } = QUANTITIES[kind];
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(
      `invalid ${what} ${describeValue(text)}: expected a number or a string such as "10${Object.keys(units)[2] ?? ''}"`,
    );
  }
  const m = NUMBER_THEN_UNIT.exec(text);
  if (!m)
    throw new InvalidArgumentError(`invalid ${what} "${text}": expected a number followed by ${accepted}`);
  const unit = (m[2] ?? '').toLowerCase();
  const scale = units[unit];
  if (scale === undefined) {
    throw new InvalidArgumentError(`invalid ${what} "${text}": unknown unit "${unit}" (use ${accepted})`);
  }
  return Number(m[1]) * scale;
}

/**
 * Parses a rate into bits per second. A bare number is bits per second (as in tc). The kernel
 * counts rates in bytes per second, so a rate below 8 bit/s is refused.
 * @throws InvalidArgumentError naming the text and the accepted units ("12xbit" fails).
 */
export function parseRate(input: RateInput, what = 'rate'): number {
  const bits =
    typeof input === 'number'
      ? checkPositive(what, input, String(input))
      : checkPositive(what, Math.round(scaleQuantity('rate', input, what)), input);
  if (bits < 8) {
    throw new InvalidArgumentError(
      `invalid ${what} "${String(input)}": below 8bit (the kernel counts rates in bytes per second)`,
    );
  }
  return bits;
}

/**
 * Parses a size into bytes ("32k" = 32768; "kbit" sizes are divided by 8, as in tc).
 * @throws InvalidArgumentError for malformed text or an unknown unit.
 */
export function parseSize(input: SizeInput, what = 'size'): number {
  if (typeof input === 'number') return checkPositive(what, input, String(input));
  return checkPositive(what, Math.round(scaleQuantity('size', input, what)), input);
}

/**
 * Parses a time into microseconds (a bare number is microseconds, as in tc).
 * @throws InvalidArgumentError for malformed text or an unknown unit.
 */
export function parseTime(input: TimeInput, what = 'time'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new InvalidArgumentError(`invalid ${what} ${input}`);
    return input;
  }
  return Math.round(scaleQuantity('time', input, what));
}

function checkPositive(what: string, n: number, text: string): number {
  if (!Number.isFinite(n) || n <= 0 || !Number.isSafeInteger(Math.round(n))) {
    throw new InvalidArgumentError(`invalid ${what} "${text}": must be a positive number`);
  }
  return n;
}

const HEX16 = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses a tc handle: "MAJ:MIN" in hex ("1:10" = 0x00010010), "MAJ:" ("ffff:" = 0xffff0000),
 * ":MIN", "root", "ingress", "clsact", "none", or a number taken as the 32-bit value.
 * @throws InvalidArgumentError naming the handle and the expected form.
 */
export function parseHandle(input: HandleInput, what = 'handle'): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0 || input > 0xffffffff) {
      throw new InvalidArgumentError(`invalid ${what} ${input}: must be a 32-bit unsigned integer`);
    }
    return input >>> 0;
  }
  if (typeof input !== 'string') {
    throw new InvalidArgumentError(
      `invalid ${what} ${describeValue(input)}: expected a number or a string such as "1:10"`,
    );
  }
  const text = input.trim().toLowerCase();
  if (text === 'root') return 0xffffffff;
  if (text === 'ingress' || text === 'clsact') return 0xfffffff1;
  if (text === 'none') return 0;
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(
      `invalid ${what} "${input}": ${why} (expected MAJ:MIN in hex, e.g. "1:10" or "ffff:")`,
    );
  const parts = text.split(':');
  if (parts.length !== 2) throw bad('no ":"');
  const [maj = '', min = ''] = parts;
  if (maj === '' && min === '') throw bad('empty major and minor');
  if (maj !== '' && !HEX16.test(maj)) throw bad(`major "${maj}" is not 1-4 hex digits`);
  if (min !== '' && !HEX16.test(min)) throw bad(`minor "${min}" is not 1-4 hex digits`);
  return ((maj === '' ? 0 : parseInt(maj, 16)) * 0x10000 + (min === '' ? 0 : parseInt(min, 16))) >>> 0;
}

/** Formats a handle the way tc prints it: "root", "ingress", "ffff:", "1:10", "none". */
export function formatHandle(h: number): string {
  const v = h >>> 0;
  if (v === 0xffffffff) return 'root';
  if (v === 0xfffffff1) return 'ingress';
  if (v === 0) return 'none';
  const maj = (v >>> 16).toString(16);
  const min = (v & 0xffff).toString(16);
  return v & 0xffff ? `${maj}:${min}` : `${maj}:`;
}

/** Formats bits per second the way tc does ("128Kbit", "10Mbit"). */
export function formatRate(bitsPerSecond: number): string {
  for (const [unit, scale] of [
    ['Gbit', 1e9],
    ['Mbit', 1e6],
    ['Kbit', 1e3],
  ] as const) {
    if (bitsPerSecond >= scale) return `${+(bitsPerSecond / scale).toFixed(3)}${unit}`;
  }
  return `${bitsPerSecond}bit`;
}
