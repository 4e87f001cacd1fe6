/**
 * Codecs: bytes <-> plain JS values, built from a TypeLayout (the program's BTF, D5). Integers
 * up to 32 bits decode to number, 64/128-bit integers and pointers to bigint, structs and unions
 * to plain objects, arrays to arrays (arrays of bytes to Buffer, char arrays to strings on
 * request). Encoders accept plain objects, numbers, bigints and Buffers, and name the field
 * when a value does not fit.
 */
import { InvalidArgumentError } from '../errors.js';
import type { FieldLayout, TypeLayout } from '../compiler/type-layout.js';
import { compileDecoder, type CompiledDec, type Helpers } from './compiled.js';

/** Decoding options. */
export interface CodecOptions {
  /** Decode `char` arrays as strings (up to the first NUL) instead of Buffers. Default false. */
  strings?: boolean;
}

/** Converts one C type between bytes and JS values. */
export interface Codec<T = unknown> {
  /** Size in bytes. */
  readonly size: number;
  /** The layout it was built from, when any. */
  readonly layout?: TypeLayout;
  /** Decodes the value at `offset` of `buf`. */
  decode(buf: Buffer, offset: number): T;
  /**
   * Encodes `value` into `buf` at `offset` (the bytes must be zeroed by the caller).
   * @throws InvalidArgumentError naming `path` when the value has the wrong shape or range.
   */
  encode(value: unknown, buf: Buffer, offset: number, path: string): void;
}

type Dec = (b: Buffer, o: number) => unknown;
type Enc = (v: unknown, b: Buffer, o: number, path: string) => void;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

function fail(path: string, msg: string): never {
  throw new InvalidArgumentError(`${path}: ${msg}`);
}

function toBigInt(v: unknown, path: string, cname: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return fail(path, `expected an integer for ${cname}, got ${describe(v)}`);
}

function intCodec(size: number, signed: boolean, cname: string, bool: boolean): { dec: Dec; enc: Enc } {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const checked = (v: unknown, path: string): bigint => {
    const n = toBigInt(v, path, cname);
    if (n < min || n > max) fail(path, `${describe(v)} does not fit in ${cname} (${min}..${max})`);
    return n;
  };
  let dec: Dec;
  let enc: Enc;
  switch (size) {
    case 1:
      dec = signed ? (b, o) => b.readInt8(o) : (b, o) => b.readUInt8(o);
      enc = (v, b, o, p) => void b.writeUInt8(Number(BigInt.asUintN(8, checked(v, p))), o);
      break;
    case 2:
      dec = signed ? (b, o) => b.readInt16LE(o) : (b, o) => b.readUInt16LE(o);
      enc = (v, b, o, p) => void b.writeUInt16LE(Number(BigInt.asUintN(16, checked(v, p))), o);
      break;
    case 4:
      dec = signed ? (b, o) => b.readInt32LE(o) : (b, o) => b.readUInt32LE(o);
      enc = (v, b, o, p) => void b.writeUInt32LE(Number(BigInt.asUintN(32, checked(v, p))), o);
      break;
    case 8:
      dec = signed ? (b, o) => b.readBigInt64LE(o) : (b, o) => b.readBigUInt64LE(o);
      enc = (v, b, o, p) => void b.writeBigUInt64LE(BigInt.asUintN(64, checked(v, p)), o);
      break;
    case 16:
      dec = (b, o) => {
        const u = (b.readBigUInt64LE(o + 8) << 64n) | b.readBigUInt64LE(o);
        return signed ? BigInt.asIntN(128, u) : u;
      };
      enc = (v, b, o, p) => {
        const u = BigInt.asUintN(128, checked(v, p));
        b.writeBigUInt64LE(u & 0xffffffffffffffffn, o);
        b.writeBigUInt64LE(u >> 64n, o + 8);
      };
      break;
    default:
      return bytesCodec(size);
  }
  if (bool) {
    const inner = dec;
    dec = (b, o) => inner(b, o) !== 0;
  }
  return { dec, enc };
}

function bytesCodec(size: number): { dec: Dec; enc: Enc } {
  return {
    dec: (b, o) => Buffer.from(b.subarray(o, o + size)),
    enc: (v, b, o, p) => {
      if (!(v instanceof Uint8Array)) fail(p, `expected a Buffer of ${size} bytes, got ${describe(v)}`);
      if (v.length > size) fail(p, `${v.length} bytes do not fit in ${size}`);
      b.set(v, o);
    },
  };
}

function isCharElement(t: TypeLayout): boolean {
  return t.kind === 'int' && t.size === 1 && t.char === true;
}

function arrayCodec(t: Extract<TypeLayout, { kind: 'array' }>, opts: CodecOptions): { dec: Dec; enc: Enc } {
  const n = t.length;
  const el = t.element;
  if (el.kind === 'int' && el.size === 1 && !el.bool) {
    const bytes = bytesCodec(n);
    const asString = opts.strings === true && isCharElement(el);
    const dec: Dec = asString
      ? (b, o) => {
          let end = o;
          let ascii = true;
          const stop = o + n;
          for (; end < stop; end++) {
            const c = b[end] as number;
            if (c === 0) break;
            if (c > 0x7f) ascii = false;
          }
          if (end === o) return '';
          return b.toString(ascii ? 'latin1' : 'utf8', o, end);
        }
      : bytes.dec;
    const enc: Enc = (v, b, o, p) => {
      if (typeof v === 'string') {
        const s = Buffer.from(v, 'utf8');
        if (s.length > n) fail(p, `string of ${s.length} bytes does not fit in char[${n}]`);
        b.set(s, o);
        return;
      }
      if (Array.isArray(v)) return arrayEnc(v, b, o, p);
      bytes.enc(v, b, o, p);
    };
    const elem = build(el, opts);
    const arrayEnc = (v: unknown[], b: Buffer, o: number, p: string): void => {
      if (v.length > n) fail(p, `${v.length} elements do not fit in [${n}]`);
      v.forEach((x, i) => elem.enc(x, b, o + i, `${p}[${i}]`));
    };
    return { dec, enc };
  }
  const elem = build(el, opts);
  const step = n > 0 ? t.size / n : 0;
  return {
    dec: (b, o) => {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = elem.dec(b, o + i * step);
      return out;
    },
    enc: (v, b, o, p) => {
      if (!Array.isArray(v)) fail(p, `expected an array of ${n}, got ${describe(v)}`);
      if (v.length > n) fail(p, `${v.length} elements do not fit in [${n}]`);
      v.forEach((x, i) => elem.enc(x, b, o + i * step, `${p}[${i}]`));
    },
  };
}

function bitfieldCodec(f: FieldLayout, parentOffset: number): { dec: Dec; enc: Enc } {
  const t = f.type;
  const signed = (t.kind === 'int' || t.kind === 'enum') && t.signed;
  const width = BigInt(f.bitSize ?? 0);
  const startBit = (f.bitOffset ?? 0) - parentOffset * 8;
  const byte = Math.floor(startBit / 8);
  const shift = BigInt(startBit - byte * 8);
  const span = Math.ceil((Number(shift) + Number(width)) / 8);
  const mask = (1n << width) - 1n;
  const read = (b: Buffer, o: number): bigint => {
    let v = 0n;
    for (let i = span - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + byte + i] ?? 0);
    return v;
  };
  return {
    dec: (b, o) => {
      let v = (read(b, o) >> shift) & mask;
      if (signed) v = BigInt.asIntN(Number(width), v);
      return width <= 32n ? Number(v) : v;
    },
    enc: (v, b, o, p) => {
      const n = toBigInt(v, p, `${t.name}:${width}`);
      const lo = signed ? -(1n << (width - 1n)) : 0n;
      const hi = signed ? (1n << (width - 1n)) - 1n : mask;
      if (n < lo || n > hi) fail(p, `${describe(v)} does not fit in a ${width}-bit field`);
      const cur = read(b, o) & ~(mask << shift);
      let w = cur | ((BigInt.asUintN(Number(width), n) & mask) << shift);
      for (let i = 0; i < span; i++) {
        b[o + byte + i] = Number(w & 0xffn);
        w >>= 8n;
      }
    },
  };
}

function recordCodec(
  t: Extract<TypeLayout, { kind: 'struct' | 'union' }>,
  opts: CodecOptions,
): { dec: Dec; enc: Enc } {
  interface F {
    name: string;
    off: number;
    dec: Dec;
    enc: Enc;
    anon: boolean;
    names?: Set<string>;
  }
  const fields: F[] = t.fields.map((f) => {
    const anon = f.name === '';
    const c = f.bitSize !== undefined ? bitfieldCodec(f, f.offset) : build(f.type, opts);
    const entry: F = { name: f.name, off: f.offset, dec: c.dec, enc: c.enc, anon };
    if (anon && (f.type.kind === 'struct' || f.type.kind === 'union')) {
      entry.names = new Set(flatNames(f.type));
    }
    return entry;
  });
  const known = new Set(flatNames(t));
  const size = t.size;
  const cname = t.name.startsWith(`${t.kind} `) ? t.name : `${t.kind} ${t.name || '(anonymous)'}`;
  return {
    dec: fields.some((f) => f.anon) ? slowDec(fields) : literalDec(fields),
    enc: (v, b, o, p) => {
      if (v instanceof Uint8Array) {
        if (v.length !== size) fail(p, `a Buffer for ${cname} must be ${size} bytes, got ${v.length}`);
        b.set(v, o);
        return;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        fail(p, `expected an object for ${cname}, got ${describe(v)}`);
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!known.has(k))
          fail(`${p}.${k}`, `${cname} has no field "${k}" (fields: ${[...known].join(', ')})`);
      }
      for (const f of fields) {
        if (f.anon) {
          const sub: Record<string, unknown> = {};
          let any = false;
          for (const n of f.names ?? []) {
            if (n in obj) {
              sub[n] = obj[n];
              any = true;
            }
          }
          if (any) f.enc(sub, b, o + f.off, p);
        } else if (obj[f.name] !== undefined) {
          f.enc(obj[f.name], b, o + f.off, `${p}.${f.name}`);
        }
      }
    },
  };
}

function slowDec(fields: { name: string; off: number; dec: Dec; anon: boolean }[]): Dec {
  return (b, o) => {
    const r: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.anon) Object.assign(r, f.dec(b, o + f.off));
      else r[f.name] = f.dec(b, o + f.off);
    }
    return r;
  };
}

/**
 * A decoder that builds the object with one object literal (one hidden class, no per-field
 * property additions): generated once per struct layout. Field names go in as JSON string
 * literals and offsets as numbers, so no user text is ever evaluated as code.
 */
function literalDec(fields: { name: string; off: number; dec: Dec }[]): Dec {
  const body = fields
    .map((f, i) => `${JSON.stringify(f.name)}: d[${i}](b, o + ${Number(f.off)})`)
    .join(',\n');
  const make = new Function('d', `return function decodeStruct(b, o) {\n return {\n${body}\n };\n};`) as (
    d: Dec[],
  ) => Dec;
  return make(fields.map((f) => f.dec));
}

function flatNames(t: TypeLayout): string[] {
  if (t.kind !== 'struct' && t.kind !== 'union') return [];
  return t.fields.flatMap((f) => (f.name === '' ? flatNames(f.type) : [f.name]));
}

function build(t: TypeLayout, opts: CodecOptions): { dec: Dec; enc: Enc } {
  switch (t.kind) {
    case 'int':
      return intCodec(t.size, t.signed, t.typedef ?? t.name, t.bool === true);
    case 'enum':
      return intCodec(t.size, t.signed, t.typedef ?? t.name, false);
    case 'pointer':
      return intCodec(8, false, t.name, false);
    case 'float':
      if (t.size === 4)
        return {
          dec: (b, o) => b.readFloatLE(o),
          enc: (v, b, o, p) => void b.writeFloatLE(num(v, p, t.name), o),
        };
      if (t.size === 8)
        return {
          dec: (b, o) => b.readDoubleLE(o),
          enc: (v, b, o, p) => void b.writeDoubleLE(num(v, p, t.name), o),
        };
      return bytesCodec(t.size);
    case 'array':
      return arrayCodec(t, opts);
    case 'struct':
    case 'union':
      return recordCodec(t, opts);
    case 'void':
      return { dec: () => undefined, enc: () => undefined };
  }
}

function num(v: unknown, path: string, cname: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return fail(path, `expected a number for ${cname}, got ${describe(v)}`);
}

function wrap<T>(size: number, layout: TypeLayout | undefined, c: { dec: Dec; enc: Enc }): Codec<T> {
  const codec: Codec<T> = {
    size,
    decode: c.dec as (b: Buffer, o: number) => T,
    encode: (v, b, o, p) => {
      if (v instanceof Uint8Array && !(layout && layout.kind === 'array')) {
        if (v.length !== size) fail(p, `expected ${size} bytes, got a Buffer of ${v.length}`);
        b.set(v, o);
        return;
      }
      c.enc(v, b, o, p);
    },
  };
  if (layout) (codec as { layout?: TypeLayout }).layout = layout;
  return codec;
}

/** The batch (DataView) decoders of codecs built from a layout, compiled on first use. */
const viewDecoders = new WeakMap<Codec<unknown>, () => CompiledDec>();

/**
 * A codec for a layout from the program's BTF. Its decode() is a compiled decoder (compiled.ts):
 * one generated function per layout.
 */
export function codecFor<T = unknown>(layout: TypeLayout, opts: CodecOptions = {}): Codec<T> {
  const c = build(layout, opts);
  const helpers: Helpers = {
    closure: (t) => build(t, opts).dec,
    bitfield: (f) => bitfieldCodec(f, f.offset).dec,
    strings: opts.strings === true,
  };
  const single = compileDecoder(layout, false, helpers) as unknown as Dec;
  const codec = wrap<T>(layout.size, layout, { dec: single, enc: c.enc });
  let batch: CompiledDec | undefined;
  viewDecoders.set(codec as Codec<unknown>, () => (batch ??= compileDecoder(layout, true, helpers)));
  return codec;
}

/**
 * The closure decoder of a layout (one function per field), which compiled decoders must agree
 * with; for tests.
 * @internal
 */
export function closureDecoder(
  layout: TypeLayout,
  opts: CodecOptions = {},
): (b: Buffer, o: number) => unknown {
  return build(layout, opts).dec;
}

/** A DataView over all of `b` (for {@link batchDecoder}'s decoders). */
export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * For decoding many values of one buffer (a chunk of ring or perf buffer records, a batch of
 * map entries): a decoder taking a DataView over the whole buffer ({@link viewOf}, made once per
 * buffer), which reads 64-bit fields several times faster than decode(). Codecs not built from
 * a layout get their own decode().
 */
export function batchDecoder<T>(codec: Codec<T>): (b: Buffer, o: number, v: DataView) => T {
  const compiled = viewDecoders.get(codec as Codec<unknown>);
  if (compiled) return compiled() as (b: Buffer, o: number, v: DataView) => T;
  return (b, o) => codec.decode(b, o);
}

/**
 * Whether every value `codec` decodes is detached from the buffer it was decoded from (codecs
 * built by {@link codecFor}: byte arrays are copied, everything else is a number, bigint,
 * string or a structure of those), so the buffer may be reused once decoding returns. Other
 * codecs may hand out views of it.
 */
export function decodesDetached(codec: Codec<unknown>): boolean {
  return viewDecoders.has(codec);
}

/**
 * A codec for a map key or value that has no layout: 1/2/4-byte values as unsigned numbers,
 * 8-byte values as bigint, anything else as a Buffer.
 */
export function codecForSize<T = unknown>(size: number): Codec<T> {
  if (size === 1 || size === 2 || size === 4 || size === 8)
    return wrap<T>(size, undefined, intCodec(size, false, `u${size * 8}`, false));
  return wrap<T>(size, undefined, bytesCodec(size));
}

/**
 * Encodes a value into a fresh zeroed Buffer.
 * @throws InvalidArgumentError naming `path` when the value does not fit the codec.
 */
export function encodeToBuffer(codec: Codec, value: unknown, path: string): Buffer {
  const b = Buffer.alloc(codec.size);
  codec.encode(value, b, 0, path);
  return b;
}
