/**
 * Compiled decoders: for a layout, one generated function that reads every field in place and
 * builds the value with one object literal per struct, instead of one closure call per field.
 * Two variants: with a DataView over the whole buffer (for batches: ring and perf buffer chunks,
 * where one view serves thousands of records and 64-bit fields are read by
 * DataView.getBigUint64, ~5x faster than Buffer.readBigUInt64LE), and without (a single value,
 * where making a view would cost more than it saves). Values are exactly those of the closure
 * decoders in codec.ts (64-bit integers stay bigint; small ones and short strings come through
 * repeats.ts's shared tables and caches); parts without a direct read (bitfields, 128-bit
 * integers, long strings) call those closures. Field names go into the code as JSON string
 * literals and offsets as numbers, so no user text is ever evaluated as code.
 */
import type { FieldLayout, TypeLayout } from '../compiler/type-layout.js';
import { MAX_CACHED_CHARS, cachedCharString, s64Buf, s64View, u64Buf, u64View } from './repeats.js';

/** A decoder of one value at `o` of `b`; `v` is a DataView over all of `b` (view variant). */
export type CompiledDec = (b: Buffer, o: number, v: DataView) => unknown;

/** Closures the generated code calls for what it does not read directly. */
export interface Helpers {
  /** The closure decoder of a layout (codec.ts's). */
  closure(t: TypeLayout): (b: Buffer, o: number) => unknown;
  /** The closure decoder of a bitfield member. */
  bitfield(f: FieldLayout): (b: Buffer, o: number) => unknown;
  /** Decode char arrays as strings. */
  strings: boolean;
}

const MAX_UNROLL = 16;

class Gen {
  readonly helpers: unknown[] = [];

  constructor(
    private readonly useView: boolean,
    private readonly h: Helpers,
  ) {}

  private helper(fn: unknown): string {
    this.helpers.push(fn);
    return `h[${this.helpers.length - 1}]`;
  }

  /** A JS expression decoding `t` at byte offset expression `off`. */
  expr(t: TypeLayout, off: string): string {
    switch (t.kind) {
      case 'int':
      case 'enum': {
        const e = this.int(t.size, t.signed, off);
        if (e === undefined) return `${this.helper(this.h.closure(t))}(b, ${off})`;
        return t.kind === 'int' && t.bool === true ? `(${e} !== 0)` : e;
      }
      case 'pointer':
        return this.int(8, false, off) as string;
      case 'float':
        if (t.size === 4) return this.useView ? `v.getFloat32(${off}, true)` : `b.readFloatLE(${off})`;
        if (t.size === 8) return this.useView ? `v.getFloat64(${off}, true)` : `b.readDoubleLE(${off})`;
        return this.bytes(t.size, off);
      case 'array':
        return this.array(t, off);
      case 'struct':
      case 'union':
        return `{\n${this.members(t, off).join(',\n')}\n}`;
      case 'void':
        return 'undefined';
    }
  }

  private int(size: number, signed: boolean, off: string): string | undefined {
    const v = this.useView;
    switch (size) {
      case 1:
        return signed ? (v ? `v.getInt8(${off})` : `b.readInt8(${off})`) : `b[${off}]`;
      case 2:
        return v
          ? `v.get${signed ? 'Int16' : 'Uint16'}(${off}, true)`
          : `b.read${signed ? 'Int16LE' : 'UInt16LE'}(${off})`;
      case 4:
        return v
          ? `v.get${signed ? 'Int32' : 'Uint32'}(${off}, true)`
          : `b.read${signed ? 'Int32LE' : 'UInt32LE'}(${off})`;
      case 8:
        // small values from a shared table (repeats.ts): one bigint fewer per zero or flag
        return v
          ? `${this.helper(signed ? s64View : u64View)}(v, ${off})`
          : `${this.helper(signed ? s64Buf : u64Buf)}(b, ${off})`;
      default:
        return undefined; // 16-byte and odd sizes: the closure
    }
  }

  /** A copy of n bytes as a Buffer of its own. */
  private bytes(n: number, off: string): string {
    return `${this.helper(copyBytes)}(b, ${off}, ${Number(n)})`;
  }

  private array(t: Extract<TypeLayout, { kind: 'array' }>, off: string): string {
    const n = t.length;
    const el = t.element;
    if (el.kind === 'int' && el.size === 1 && !el.bool) {
      if (this.h.strings && el.char === true) {
        const slow = this.h.closure(t) as (b: Buffer, o: number) => string;
        // short strings (comm) repeat from record to record: cached by their bytes (repeats.ts)
        if (n > 0 && n <= MAX_CACHED_CHARS)
          return `${this.helper(cachedCharString(n, slow, this.useView))}(b, ${off}, v)`;
        return `${this.helper(slow)}(b, ${off})`;
      }
      return this.bytes(n, off);
    }
    const step = n > 0 ? t.size / n : 0;
    if (n <= MAX_UNROLL) {
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(this.expr(el, `${off} + ${i * step}`));
      return `[${items.join(', ')}]`;
    }
    // long arrays: a loop in a function of its own
    const inner = compileDecoder(el, this.useView, this.h);
    const loop = (b: Buffer, o: number, v: DataView): unknown[] => {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = inner(b, o + i * step, v);
      return out;
    };
    return `${this.helper(loop)}(b, ${off}, v)`;
  }

  /** `"name": expr` entries of a struct/union, anonymous members' fields inlined. */
  private members(t: Extract<TypeLayout, { kind: 'struct' | 'union' }>, off: string): string[] {
    const out: string[] = [];
    for (const f of t.fields) {
      const at = `${off} + ${Number(f.offset)}`;
      if (f.name === '') {
        // an anonymous struct/union's fields are the parent's; another anonymous member (an
        // unnamed bitfield) adds nothing (as the closure decoders do)
        if (f.bitSize === undefined && (f.type.kind === 'struct' || f.type.kind === 'union'))
          out.push(...this.members(f.type, at));
      } else if (f.bitSize !== undefined) {
        out.push(`${key(f.name)}: ${this.helper(this.h.bitfield(f))}(b, ${at})`);
      } else {
        out.push(`${key(f.name)}: ${this.expr(f.type, at)}`);
      }
    }
    return out;
  }
}

/** A property key: a quoted literal, computed for __proto__ (which a literal key would not define). */
function key(name: string): string {
  return name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
}

function copyBytes(b: Buffer, o: number, n: number): Buffer {
  const r = Buffer.allocUnsafe(n);
  if (n <= 64) for (let i = 0; i < n; i++) r[i] = b[o + i] as number;
  else b.copy(r, 0, o, o + n);
  return r;
}

/**
 * Generates the decoder of `t`.
 * @param useView whether it reads through the DataView argument (batch decoding).
 */
export function compileDecoder(t: TypeLayout, useView: boolean, helpers: Helpers): CompiledDec {
  const g = new Gen(useView, helpers);
  const body = g.expr(t, 'o');
  const make = new Function('h', `return function decode(b, o, v) {\nreturn ${body};\n};`) as (
    h: unknown[],
  ) => CompiledDec;
  return make(g.helpers);
}
