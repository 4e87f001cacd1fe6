/**
 * BCC's trace_print(fmt): a Python `str.format` string applied to the trace_fields tuple
 * (task, pid, cpu, flags, ts, msg), e.g. `"{1} {5}"` or `"{0:<16} {4:.3f} {5}"`. Positional
 * fields `{n}` and automatic `{}`, `{{`/`}}` escapes, and the format spec
 * `[[fill]align][sign][#][0][width][,][.precision][type]` are supported; anything else is an
 * InvalidArgumentError naming the position.
 */
import { InvalidArgumentError } from '../errors.js';
import type { TraceFields } from './trace-fields.js';

/** The trace_fields tuple in BCC's order. */
export function traceFieldsTuple(f: TraceFields): [string, number, number, string, number, string] {
  return [f.task, f.pid, f.cpu, f.flags, f.ts, f.msg];
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?(,)?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

function applySpec(v: string | number, spec: string, where: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new InvalidArgumentError(`trace format: bad format spec "${spec}" at ${where}`);
  const [, fillIn, alignIn, sign, alt, zero, widthS, comma, precS, typeIn] = m;
  const precision = precS !== undefined ? Number(precS) : undefined;
  const isNum = typeof v === 'number';
  const type = typeIn ?? (isNum ? (Number.isInteger(v) ? 'd' : 'g') : 's');
  let body: string;
  let negative = false;
  if (type === 's') {
    if (isNum && typeIn === 's') throw new InvalidArgumentError(`trace format: "s" on a number at ${where}`);
    body = String(v);
    if (precision !== undefined) body = body.slice(0, precision);
  } else {
    if (!isNum) throw new InvalidArgumentError(`trace format: "${type}" needs a number at ${where}`);
    negative = v < 0 || Object.is(v, -0);
    const a = Math.abs(v);
    switch (type) {
      case 'd':
      case 'n':
        if (!Number.isInteger(v))
          throw new InvalidArgumentError(`trace format: "d" on a non-integer at ${where}`);
        body = String(a);
        break;
      case 'x':
      case 'X':
        body = (alt ? '0x' : '') + a.toString(16);
        if (type === 'X') body = body.toUpperCase();
        break;
      case 'o':
        body = (alt ? '0o' : '') + a.toString(8);
        break;
      case 'b':
        body = (alt ? '0b' : '') + a.toString(2);
        break;
      case 'c':
        body = String.fromCodePoint(a);
        break;
      case 'e':
      case 'E':
        body = a.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        if (type === 'E') body = body.toUpperCase();
        break;
      case 'f':
      case 'F':
        body = a.toFixed(precision ?? 6);
        break;
      case '%':
        body = `${(a * 100).toFixed(precision ?? 6)}%`;
        break;
      default: {
        if (typeIn === undefined && precision === undefined) {
          body = String(a); // str(x): the shortest repr, as Python prints a bare {}
          break;
        }
        // g/G: Python's general format
        const p = precision === 0 ? 1 : (precision ?? 6);
        const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
        body =
          exp < -4 || exp >= p
            ? a
                .toExponential(p - 1)
                .replace(/\.?0+e/, 'e')
                .replace(/e([+-])(\d)$/, 'e$10$2')
            : a
                .toPrecision(p)
                .replace(/(\.\d*?)0+$/, '$1')
                .replace(/\.$/, '');
        if (type === 'G') body = body.toUpperCase();
      }
    }
    if (comma) {
      const [int = '', frac] = body.split('.');
      body = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac !== undefined ? `.${frac}` : '');
    }
  }
  const signStr =
    isNum && type !== 's' ? (negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') : '';
  const width = widthS !== undefined ? Number(widthS) : 0;
  const fill = fillIn ?? (zero && !alignIn ? '0' : ' ');
  const align = alignIn ?? (zero ? '=' : isNum && type !== 's' ? '>' : '<');
  const len = signStr.length + body.length;
  if (len >= width) return signStr + body;
  const pad = fill.repeat(width - len);
  switch (align) {
    case '<':
      return signStr + body + pad;
    case '>':
      return pad + signStr + body;
    case '=':
      return signStr + pad + body;
    default: {
      const left = fill.repeat(Math.floor((width - len) / 2));
      const right = fill.repeat(width - len - left.length);
      return left + signStr + body + right;
    }
  }
}

/**
 * Formats `args` with a Python `str.format` string.
 * @throws InvalidArgumentError for a field that does not exist, a bad spec, or an unmatched brace.
 */
export function pythonFormat(fmt: string, args: readonly (string | number)[]): string {
  let out = '';
  let auto = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === '}') {
      if (fmt[i + 1] !== '}')
        throw new InvalidArgumentError(`trace format: single "}" at offset ${i} of "${fmt}"`);
      out += '}';
      i++;
      continue;
    }
    if (c !== '{') {
      out += c;
      continue;
    }
    if (fmt[i + 1] === '{') {
      out += '{';
      i++;
      continue;
    }
    const end = fmt.indexOf('}', i);
    if (end < 0) throw new InvalidArgumentError(`trace format: unclosed "{" at offset ${i} of "${fmt}"`);
    const field = fmt.slice(i + 1, end);
    const colon = field.indexOf(':');
    let name = colon < 0 ? field : field.slice(0, colon);
    const spec = colon < 0 ? '' : field.slice(colon + 1);
    const conv = /!(r|s|a)$/.exec(name);
    if (conv) name = name.slice(0, -2);
    const index = name === '' ? auto++ : Number(name);
    const where = `offset ${i} of "${fmt}"`;
    if (!Number.isInteger(index) || index < 0 || index >= args.length)
      throw new InvalidArgumentError(
        `trace format: no field "${name}" at ${where} (fields 0-${args.length - 1}: task, pid, cpu, flags, ts, msg)`,
      );
    let v = args[index] as string | number;
    if (conv) v = conv[1] === 'r' && typeof v === 'string' ? `'${v}'` : String(v);
    out += applySpec(v, spec, where);
    i = end;
  }
  return out;
}

/** BCC's `fmt.format(*trace_fields)`. @throws InvalidArgumentError as pythonFormat. */
export function formatTraceFields(fmt: string, f: TraceFields): string {
  return pythonFormat(fmt, traceFieldsTuple(f));
}
