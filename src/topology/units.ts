/**
 * Rates, sizes, times and percentages as written in testbeds (`10mbit`, `32kb`, `5ms`, `1%`).
 * Units are tc's (the shared core in src/netlink/tc/units.ts); these return undefined instead
 * of throwing, so validation can collect every problem with its path.
 */
import { InvalidArgumentError } from '../errors.js';
import { scaleQuantity, type QuantityKind } from '../netlink/tc/units.js';

/** The quantity in its base unit, or undefined when the text is malformed or its unit unknown. */
function quantity(kind: QuantityKind, text: string): number | undefined {
  if (typeof text !== 'string') return undefined; // YAML can give a mapping or a list here
  try {
    return scaleQuantity(kind, text.trim());
  } catch (e) {
    if (e instanceof InvalidArgumentError) return undefined;
    throw e;
  }
}

/** Bits per second from `10mbit`, `1gbit`, `125kbps` (bytes), or a number of bits/s; undefined if invalid. */
export function parseRate(v: string | number): number | undefined {
  const n = typeof v === 'number' ? v : quantity('rate', v);
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Bytes from `32kb`, `1mb`, `1500` or a number; undefined if invalid (or not a whole number of bytes). */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  const n = quantity('size', v);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** Microseconds from `10ms`, `250us`, `1s`; undefined if invalid. */
export function parseTime(v: string): number | undefined {
  return quantity('time', v);
}

/** A fraction 0..1 from `1%` or `0.5%`; undefined if invalid. */
export function parsePercent(v: string): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return n <= 100 ? n / 100 : undefined;
}
