/**
 * Netlink schemas as data, the way pyroute2 writes them: a struct is a list of typed fields
 * (offsets follow C's natural alignment), an attribute set maps names to an attribute type id
 * and a value type, and a message is a header struct followed by an attribute set. One generic
 * encoder and decoder serve every family; the vocabulary modules (rtnetlink.ts, ifla.ts, ifa.ts,
 * rta.ts, tc/*) are declarations only. Pure; no kernel.
 */
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { formatIp, parseIp, parseMac } from './ip.js';

/** NLA_F_NESTED: set on the type of an attribute whose payload is an attribute run. */
export const NLA_F_NESTED = 0x8000;
/** NLA_F_NET_BYTEORDER. */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** The bits of an attribute type that are the type id. */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** 4-byte netlink alignment. */
export const align4 = (n: number): number => (n + 3) & ~3;

// ---- types ----

/** Integer field and attribute types (be: network byte order). */
export type IntType = 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'be16' | 'be32';
/** 64-bit types (bigint values). */
export type BigType = 'u64' | 's64';

/** A fixed-size byte field. */
export interface BytesField {
  readonly bytes: number;
}
/** A fixed-length array of integers. */
export interface ArrayField {
  readonly array: IntType;
  readonly length: number;
}

/** What a struct field may be. */
export type FieldType = IntType | BigType | BytesField | ArrayField | Struct<FieldMap>;
/** Field name to type, in declaration (memory) order. */
export type FieldMap = { readonly [name: string]: FieldType };

/** A C struct: fields at their natural alignment, the size rounded to the largest alignment. */
export interface Struct<F extends FieldMap> {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: F;
  readonly size: number;
  readonly align: number;
  /** Each field with its offset. */
  readonly layout: readonly { name: string; type: FieldType; offset: number }[];
}

/** Scalar attribute value types. `ip`/`mac` are text on the JS side, bytes on the wire. */
export type ScalarType = IntType | BigType | 'string' | 'flag' | 'binary' | 'ip' | 'mac';

/**
 * An attribute whose payload another schema chooses at run time (TCA_OPTIONS by TCA_KIND,
 * IFLA_INFO_DATA by IFLA_INFO_KIND): given as an already encoded {@link Payload}, decoded as
 * bytes for the chooser to decode.
 */
export type PayloadType = 'payload';

/** What an attribute's value may be. */
export type AttrType =
  | ScalarType
  | PayloadType
  | Struct<FieldMap>
  | AttrSet<AttrDefs>
  | Message<FieldMap, AttrDefs>
  | ListOf<AttrType>;

/** Options of one attribute definition. */
export interface AttrOptions {
  /** Set NLA_F_NESTED on the type (default: for attribute sets and lists; payloads say themselves). */
  readonly nested?: boolean;
}

/** One attribute: its type id, its value type and options. */
export type AttrDef =
  readonly [id: number, type: AttrType] | readonly [id: number, type: AttrType, AttrOptions];
/** Attribute name to definition. */
export type AttrDefs = { readonly [name: string]: AttrDef };

/** A named set of attributes (one nla_map). */
export interface AttrSet<D extends AttrDefs> {
  readonly kind: 'attrs';
  readonly name: string;
  readonly defs: D;
  /** Definitions by type id. */
  readonly byId: ReadonlyMap<number, { name: string; def: AttrDef }>;
}

/** A header struct followed by an attribute run (a message body, or a struct-led nest). */
export interface Message<H extends FieldMap, D extends AttrDefs> {
  readonly kind: 'message';
  readonly name: string;
  readonly header: Struct<H>;
  readonly attrs: AttrSet<D>;
}

/** A nest of items of one type whose attribute ids are their positions (1, 2, ...), e.g. TCA_ACT_TAB. */
export interface ListOf<T extends AttrType> {
  readonly kind: 'list';
  readonly item: T;
}

/** Encoded bytes for a `payload` attribute, with whether they are an attribute run. */
export interface Payload {
  readonly bytes: Buffer;
  readonly nested: boolean;
}

// ---- value types ----

type IntValue<T> = T extends IntType ? number : T extends BigType ? bigint : never;

/** The JS value of a struct field. */
export type FieldValue<T> = T extends IntType | BigType
  ? IntValue<T>
  : T extends BytesField
    ? Buffer
    : T extends ArrayField
      ? number[]
      : T extends Struct<infer F>
        ? StructIn<F>
        : never;

/** The decoded JS value of a struct field. */
export type FieldOut<T> = T extends Struct<infer F> ? StructOut<F> : FieldValue<T>;

/** Values to encode into a struct: missing fields are zero. */
export type StructIn<F extends FieldMap> = { [K in keyof F]?: FieldValue<F[K]> };
/** A decoded struct. */
export type StructOut<F extends FieldMap> = { [K in keyof F]: FieldOut<F[K]> };

/** The JS value an attribute of type T is encoded from. */
export type AttrIn<T> = T extends IntType | BigType
  ? IntValue<T>
  : T extends 'string' | 'ip' | 'mac'
    ? string
    : T extends 'flag'
      ? boolean
      : T extends 'binary'
        ? Buffer
        : T extends 'payload'
          ? Payload
          : T extends Struct<infer F>
            ? StructIn<F>
            : T extends AttrSet<infer D>
              ? AttrsIn<D>
              : T extends Message<infer H, infer D>
                ? MessageIn<H, D>
                : T extends ListOf<infer E>
                  ? AttrIn<E>[]
                  : never;

/** The JS value an attribute of type T decodes to. */
export type AttrOut<T> = T extends IntType | BigType
  ? IntValue<T>
  : T extends 'string' | 'ip' | 'mac'
    ? string
    : T extends 'flag'
      ? true
      : T extends 'binary' | 'payload'
        ? Buffer
        : T extends Struct<infer F>
          ? StructOut<F>
          : T extends AttrSet<infer D>
            ? AttrsOut<D>
            : T extends Message<infer H, infer D>
              ? MessageOut<H, D>
              : T extends ListOf<infer E>
                ? AttrOut<E>[]
                : never;

/** Attribute values to encode, in the order they go on the wire; undefined ones are left out. */
export type AttrsIn<D extends AttrDefs> = { [K in keyof D]?: AttrIn<D[K][1]> | undefined };
/** Decoded attributes (each present only when the message carried it). */
export type AttrsOut<D extends AttrDefs> = { [K in keyof D]?: AttrOut<D[K][1]> };
/** A message body to encode. */
export interface MessageIn<H extends FieldMap, D extends AttrDefs> {
  header?: StructIn<H>;
  attrs?: AttrsIn<D>;
}
/** A decoded message body. */
export interface MessageOut<H extends FieldMap, D extends AttrDefs> {
  header: StructOut<H>;
  attrs: AttrsOut<D>;
}

// ---- declarations ----

const INT_SIZE: Record<IntType | BigType, number> = {
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  be16: 2,
  u32: 4,
  s32: 4,
  be32: 4,
  u64: 8,
  s64: 8,
};

function fieldSize(t: FieldType): { size: number; align: number } {
  if (typeof t === 'string') return { size: INT_SIZE[t], align: INT_SIZE[t] };
  if ('bytes' in t) return { size: t.bytes, align: 1 };
  if ('array' in t) return { size: INT_SIZE[t.array] * t.length, align: INT_SIZE[t.array] };
  return { size: t.size, align: t.align };
}

/** Declares a C struct (fields in memory order; padding as the C compiler would put it). */
export function struct<const F extends FieldMap>(name: string, fields: F): Struct<F> {
  let offset = 0;
  let maxAlign = 1;
  const layout: { name: string; type: FieldType; offset: number }[] = [];
  for (const [fname, type] of Object.entries(fields)) {
    const { size, align } = fieldSize(type);
    offset = Math.ceil(offset / align) * align;
    layout.push({ name: fname, type, offset });
    offset += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return {
    kind: 'struct',
    name,
    fields,
    size: Math.ceil(offset / maxAlign) * maxAlign,
    align: maxAlign,
    layout,
  };
}

/** Declares an attribute set (pyroute2's nla_map); `name` is used in error messages. */
export function attrs<const D extends AttrDefs>(name: string, defs: D): AttrSet<D> {
  const byId = new Map<number, { name: string; def: AttrDef }>();
  for (const [n, def] of Object.entries(defs)) byId.set(def[0], { name: n, def });
  return { kind: 'attrs', name, defs, byId };
}

/** Declares a header struct followed by attributes. */
export function message<H extends FieldMap, D extends AttrDefs>(
  name: string,
  header: Struct<H>,
  set: AttrSet<D>,
): Message<H, D> {
  return { kind: 'message', name, header, attrs: set };
}

/** Declares a positional list nest. */
export function listOf<const T extends AttrType>(item: T): ListOf<T> {
  return { kind: 'list', item };
}

/** The attribute type ids of a set, by name (e.g. `ids(IFLA_ATTRS).IFNAME` = 3). */
export function ids<D extends AttrDefs>(set: AttrSet<D>): { readonly [K in keyof D]: number } {
  return Object.fromEntries(Object.entries(set.defs).map(([n, d]) => [n, d[0]])) as {
    [K in keyof D]: number;
  };
}

// ---- encoding ----

const INT_RANGE: Record<IntType, [number, number]> = {
  u8: [0, 0xff],
  s8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  s16: [-0x8000, 0x7fff],
  be16: [0, 0xffff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
  be32: [0, 0xffffffff],
};

function bad(path: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`netlink ${path}: ${message}`);
}

function writeInt(buf: Buffer, off: number, t: IntType | BigType, v: unknown, path: string): void {
  if (t === 'u64' || t === 's64') {
    const n =
      typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
    if (n === undefined) throw bad(path, `expected a 64-bit integer, got ${String(v)}`);
    if (t === 'u64' ? n < 0n || n >= 1n << 64n : n < -(1n << 63n) || n >= 1n << 63n) {
      throw bad(path, `${n} is out of range for ${t}`);
    }
    if (t === 'u64') buf.writeBigUInt64LE(n, off);
    else buf.writeBigInt64LE(n, off);
    return;
  }
  const [lo, hi] = INT_RANGE[t];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw bad(path, `${String(v)} is out of range for ${t} (${lo}..${hi})`);
  }
  switch (t) {
    case 'u8':
      buf.writeUInt8(v, off);
      break;
    case 's8':
      buf.writeInt8(v, off);
      break;
    case 'u16':
      buf.writeUInt16LE(v, off);
      break;
    case 's16':
      buf.writeInt16LE(v, off);
      break;
    case 'be16':
      buf.writeUInt16BE(v, off);
      break;
    case 'u32':
      buf.writeUInt32LE(v, off);
      break;
    case 's32':
      buf.writeInt32LE(v, off);
      break;
    case 'be32':
      buf.writeUInt32BE(v, off);
      break;
  }
}

function writeStruct(buf: Buffer, base: number, s: Struct<FieldMap>, v: object, path: string): void {
  const values = v as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    if (!(key in s.fields)) throw bad(path, `struct ${s.name} has no field ${key}`);
  }
  for (const { name, type, offset } of s.layout) {
    const fv = values[name];
    if (fv === undefined) continue;
    const at = base + offset;
    const p = `${path}.${name}`;
    if (typeof type === 'string') writeInt(buf, at, type, fv, p);
    else if ('bytes' in type) {
      if (!Buffer.isBuffer(fv) || fv.length > type.bytes)
        throw bad(p, `expected at most ${type.bytes} bytes`);
      fv.copy(buf, at);
    } else if ('array' in type) {
      if (!Array.isArray(fv) || fv.length > type.length)
        throw bad(p, `expected at most ${type.length} values`);
      const size = INT_SIZE[type.array];
      fv.forEach((x: unknown, i) => writeInt(buf, at + i * size, type.array, x, `${p}[${i}]`));
    } else writeStruct(buf, at, type, fv as object, p);
  }
}

/** Encodes a struct (missing fields are zero). @throws InvalidArgumentError naming the field. */
export function encodeStruct<F extends FieldMap>(
  s: Struct<F>,
  v: StructIn<F>,
  path: string = s.name,
): Buffer {
  const buf = Buffer.alloc(s.size);
  writeStruct(buf, 0, s, v, path);
  return buf;
}

function encodeValue(type: AttrType, v: unknown, path: string): Payload {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof v !== 'string') throw bad(path, 'expected a string');
        return { bytes: Buffer.from(`${v}\0`, 'utf8'), nested: false };
      case 'flag':
        return { bytes: Buffer.alloc(0), nested: false };
      case 'binary':
        if (!Buffer.isBuffer(v)) throw bad(path, 'expected bytes');
        return { bytes: v, nested: false };
      case 'ip':
        return { bytes: parseIp(String(v)).bytes, nested: false };
      case 'mac':
        return { bytes: parseMac(String(v)), nested: false };
      case 'payload': {
        const p = v as Payload;
        if (!p || !Buffer.isBuffer(p.bytes)) throw bad(path, 'expected an encoded payload');
        return p;
      }
      default: {
        const b = Buffer.alloc(INT_SIZE[type]);
        writeInt(b, 0, type, v, path);
        return { bytes: b, nested: false };
      }
    }
  }
  switch (type.kind) {
    case 'struct':
      return { bytes: encodeStruct(type, v as StructIn<FieldMap>, path), nested: false };
    case 'attrs':
      return { bytes: encodeAttrs(type, v as AttrsIn<AttrDefs>, path), nested: true };
    case 'message':
      return { bytes: encodeMessage(type, v as MessageIn<FieldMap, AttrDefs>, path), nested: false };
    case 'list': {
      if (!Array.isArray(v)) throw bad(path, 'expected a list');
      const chunks: Buffer[] = [];
      v.forEach((item: unknown, i) => {
        chunks.push(tlv(i + 1, encodeValue(type.item, item, `${path}[${i}]`), undefined));
      });
      return { bytes: Buffer.concat(chunks), nested: true };
    }
  }
}

function tlv(id: number, p: Payload, nestedOpt: boolean | undefined): Buffer {
  const len = 4 + p.bytes.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(id | ((nestedOpt ?? p.nested) ? NLA_F_NESTED : 0), 2);
  p.bytes.copy(out, 4);
  return out;
}

/**
 * Encodes attributes in the order of `values`' keys, leaving out undefined values and false
 * flags. @throws InvalidArgumentError naming the attribute (`IFLA.MTU: ...`).
 */
export function encodeAttrs<D extends AttrDefs>(
  set: AttrSet<D>,
  values: AttrsIn<D>,
  path: string = set.name,
): Buffer {
  const chunks: Buffer[] = [];
  for (const [name, v] of Object.entries(values as Record<string, unknown>)) {
    if (v === undefined || v === false) continue;
    const def = set.defs[name];
    if (!def) throw bad(path, `${set.name} has no attribute ${name}`);
    const p = `${path}.${name}`;
    chunks.push(tlv(def[0], encodeValue(def[1], v, p), def[2]?.nested));
  }
  return Buffer.concat(chunks);
}

/** Encodes a header struct (padded to 4 bytes) and its attributes. */
export function encodeMessage<H extends FieldMap, D extends AttrDefs>(
  m: Message<H, D>,
  v: MessageIn<H, D>,
  path: string = m.name,
): Buffer {
  const header = Buffer.alloc(align4(m.header.size));
  writeStruct(header, 0, m.header, v.header ?? {}, `${path}.header`);
  return v.attrs ? Buffer.concat([header, encodeAttrs(m.attrs, v.attrs, path)]) : header;
}

/** Encodes one value of any attribute type (e.g. a list) as a payload. */
export function encodeValueOf<T extends AttrType>(type: T, v: AttrIn<T>, path: string): Payload {
  return encodeValue(type, v, path);
}

/** An attribute set's values as a `payload` (an attribute run, flagged nested). */
export function nestPayload<D extends AttrDefs>(set: AttrSet<D>, values: AttrsIn<D>): Payload {
  return { bytes: encodeAttrs(set, values), nested: true };
}

/** A struct as a `payload` (not nested). */
export function structPayload<F extends FieldMap>(s: Struct<F>, values: StructIn<F>): Payload {
  return { bytes: encodeStruct(s, values), nested: false };
}

/** A header-led attribute run as a `payload` (not nested: the kernel reads the struct first). */
export function messagePayload<H extends FieldMap, D extends AttrDefs>(
  m: Message<H, D>,
  v: MessageIn<H, D>,
): Payload {
  return { bytes: encodeMessage(m, v), nested: false };
}

// ---- decoding ----

/**
 * The error for a reply too short for what it should hold (a damaged or unexpected message):
 * NetlinkError EBADMSG naming what was being decoded.
 */
export function badMessage(what: string, detail: string): NetlinkError {
  return new NetlinkError(`decode ${what}`, ERRNO.EBADMSG, 'EBADMSG', `reply too short (${detail})`);
}

function readInt(buf: Buffer, off: number, t: IntType | BigType): number | bigint {
  switch (t) {
    case 'u8':
      return buf.readUInt8(off);
    case 's8':
      return buf.readInt8(off);
    case 'u16':
      return buf.readUInt16LE(off);
    case 's16':
      return buf.readInt16LE(off);
    case 'be16':
      return buf.readUInt16BE(off);
    case 'u32':
      return buf.readUInt32LE(off);
    case 's32':
      return buf.readInt32LE(off);
    case 'be32':
      return buf.readUInt32BE(off);
    case 'u64':
      return buf.readBigUInt64LE(off);
    case 's64':
      return buf.readBigInt64LE(off);
  }
}

function readStruct(buf: Buffer, base: number, s: Struct<FieldMap>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, type, offset } of s.layout) {
    const at = base + offset;
    if (typeof type === 'string') out[name] = readInt(buf, at, type);
    else if ('bytes' in type) out[name] = Buffer.from(buf.subarray(at, at + type.bytes));
    else if ('array' in type) {
      const size = INT_SIZE[type.array];
      out[name] = Array.from({ length: type.length }, (_, i) => readInt(buf, at + i * size, type.array));
    } else out[name] = readStruct(buf, at, type);
  }
  return out;
}

/**
 * Decodes a struct.
 * @throws NetlinkError EBADMSG when the buffer is shorter than the struct.
 */
export function decodeStruct<F extends FieldMap>(s: Struct<F>, buf: Buffer): StructOut<F> {
  if (buf.length < s.size) throw badMessage(`struct ${s.name}`, `${buf.length} of ${s.size} bytes`);
  return readStruct(buf, 0, s) as StructOut<F>;
}

/**
 * One value, named in errors by `what` (and `attr`: what_attr, joined only when an error is
 * made, so a decode makes no string per attribute).
 */
function decodeValue(type: AttrType, data: Buffer, what: string, attr?: string): unknown {
  if (typeof type === 'string') {
    switch (type) {
      case 'string': {
        const nul = data.indexOf(0);
        return data.subarray(0, nul < 0 ? data.length : nul).toString('utf8');
      }
      case 'flag':
        return true;
      case 'binary':
      case 'payload':
        return data;
      case 'ip':
        if (data.length !== 4 && data.length !== 16)
          throw badMessage(named(what, attr), `an address of ${data.length} bytes`);
        return formatIp(data);
      case 'mac':
        return [...data].map((b) => b.toString(16).padStart(2, '0')).join(':');
      default:
        if (data.length < INT_SIZE[type])
          throw badMessage(named(what, attr), `${data.length} of ${INT_SIZE[type]} bytes`);
        return readInt(data, 0, type);
    }
  }
  switch (type.kind) {
    case 'struct':
      return decodeStruct(type, data);
    case 'attrs':
      return decodeAttrs(type, data);
    case 'message':
      return decodeMessage(type, data);
    case 'list':
      return [...attrRun(data)].map((a, i) => decodeValue(type.item, a.data, `${named(what, attr)}[${i}]`));
  }
}

function named(what: string, attr: string | undefined): string {
  return attr === undefined ? what : `${what}_${attr}`;
}

/** Decodes one value of any attribute type from its payload bytes. */
export function decodeValueOf<T extends AttrType>(type: T, data: Buffer): AttrOut<T> {
  return decodeValue(type, data, 'attribute') as AttrOut<T>;
}

/** Iterates the attributes of a run: type id (flags masked off), nested flag and payload. */
export function* attrRun(buf: Buffer): Generator<{ id: number; nested: boolean; data: Buffer }> {
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const raw = buf.readUInt16LE(off + 2);
    if (len < 4 || off + len > buf.length) return;
    yield {
      id: raw & NLA_TYPE_MASK,
      nested: (raw & NLA_F_NESTED) !== 0,
      data: buf.subarray(off + 4, off + len),
    };
    off += align4(len);
  }
}

/**
 * Decodes an attribute run with a set; attributes the set does not know are skipped.
 * @throws NetlinkError EBADMSG when a known attribute is too short for its type.
 */
export function decodeAttrs<D extends AttrDefs>(set: AttrSet<D>, buf: Buffer): AttrsOut<D> {
  const out: Record<string, unknown> = {};
  // attrRun's walk, inline: no iterator or entry object per attribute
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    const known = set.byId.get(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK);
    if (known) {
      out[known.name] = decodeValue(known.def[1], buf.subarray(off + 4, off + len), set.name, known.name);
    }
    off += align4(len);
  }
  return out as AttrsOut<D>;
}

/**
 * Decodes a header struct and the attributes after it (at the 4-aligned end of the header).
 * @throws NetlinkError EBADMSG when the message is shorter than its header.
 */
export function decodeMessage<H extends FieldMap, D extends AttrDefs>(
  m: Message<H, D>,
  buf: Buffer,
): MessageOut<H, D> {
  return {
    header: decodeStruct(m.header, buf),
    attrs: decodeAttrs(m.attrs, buf.subarray(align4(m.header.size))),
  };
}
