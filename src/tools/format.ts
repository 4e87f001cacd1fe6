/**
 * Text formatting for the tools: Python's `%` operator (the format strings BCC's tools print
 * with, so columns line up exactly as theirs) and strftime's `%H:%M:%S`.
 */
import { InvalidArgumentError } from '../errors.js';

/** A value a `%` conversion accepts. */
export type FormatArg = string | number | bigint | boolean | Buffer;

const SPEC = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrs%])/g;

function text(v: FormatArg): string {
  if (Buffer.isBuffer(v)) return v.toString('latin1').replace(/\0.*$/s, '');
  return String(v);
}

function integer(v: FormatArg, conv: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`%${conv} needs a number, got ${String(v)}`);
  return BigInt(Math.trunc(n));
}

function pad(body: string, sign: string, width: number, flags: string, zeroOk: boolean): string {
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  if (flags.includes('-')) return (sign + body).padEnd(width);
  if (flags.includes('0') && zeroOk) return sign + body.padStart(width - sign.length, '0');
  return (sign + body).padStart(width);
}

function signOf(neg: boolean, flags: string): string {
  if (neg) return '-';
  if (flags.includes('+')) return '+';
  if (flags.includes(' ')) return ' ';
  return '';
}

/**
 * Formats like Python's `fmt % args`: flags `-+ #0`, width and precision (also `*`),
 * conversions d i u o x X e E f F g G c r s and `%%`. Strings are cut to the precision
 * (`%-12.12s`); Buffers print up to their first NUL.
 * @throws InvalidArgumentError when arguments are missing or not numbers where numbers are due.
 */
export function sprintf(fmt: string, ...args: FormatArg[]): string {
  let i = 0;
  const next = (): FormatArg => {
    if (i >= args.length) throw new InvalidArgumentError(`not enough arguments for format "${fmt}"`);
    return args[i++] as FormatArg;
  };
  return fmt.replace(SPEC, (_m, flags: string, w?: string, p?: string, conv = 's') => {
    if (conv === '%') return '%';
    let width = w === '*' ? Number(next()) : w ? Number(w) : 0;
    let f = flags;
    if (width < 0) {
      f += '-';
      width = -width;
    }
    const prec = p === '*' ? Number(next()) : p !== undefined ? Number(p) : undefined;
    const v = next();
    switch (conv) {
      case 's':
      case 'r': {
        let s = text(v);
        if (prec !== undefined) s = s.slice(0, prec);
        return pad(s, '', width, f.replace('0', ''), false);
      }
      case 'c':
        return pad(typeof v === 'number' ? String.fromCharCode(v) : text(v).slice(0, 1), '', width, f, false);
      case 'd':
      case 'i':
      case 'u': {
        const n = integer(v, conv);
        let body = (n < 0n ? -n : n).toString();
        if (prec !== undefined) body = body.padStart(prec, '0');
        return pad(body, signOf(n < 0n, f), width, f, prec === undefined);
      }
      case 'x':
      case 'X':
      case 'o': {
        const n = integer(v, conv);
        let body = (n < 0n ? -n : n).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') body = body.toUpperCase();
        if (prec !== undefined) body = body.padStart(prec, '0');
        const alt = f.includes('#') ? (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') : '';
        return pad(body, signOf(n < 0n, f) + alt, width, f, prec === undefined);
      }
      default: {
        const n = typeof v === 'bigint' ? Number(v) : Number(v);
        const digits = prec ?? 6;
        let body: string;
        const abs = Math.abs(n);
        if (conv === 'f' || conv === 'F') body = abs.toFixed(digits);
        else if (conv === 'e' || conv === 'E') {
          body = abs.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') body = body.toUpperCase();
        } else {
          body = String(Number(abs.toPrecision(digits === 0 ? 1 : digits)));
          if (conv === 'G') body = body.toUpperCase();
        }
        return pad(body, signOf(n < 0 || Object.is(n, -0), f), width, f, true);
      }
    }
  });
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The local time as strftime("%H:%M:%S") prints it. */
export function clockTime(d: Date = new Date()): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
