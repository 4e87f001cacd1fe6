/**
 * Netlink message encoding and decoding (pure; no kernel). Messages are built with
 * {@link MessageBuilder} and replies parsed with {@link parseMessages} and {@link parseAttrs}.
 */
import { NetlinkError } from '../errors.js';

/** Netlink header flags and control message types (linux/netlink.h). */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

/** NLA_F_NESTED: set on nested attributes. */
export const NLA_F_NESTED = 0x8000;

const align4 = (n: number): number => (n + 3) & ~3;

let nextSeq = 1;

/** A parsed netlink message. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The payload after the 16-byte header. */
  payload: Buffer;
}

/** A parsed netlink attribute. */
export interface NetlinkAttr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** Builds one netlink message: header, a fixed family struct, then attributes (nests allowed). */
export class MessageBuilder {
  private readonly chunks: Buffer[] = [];
  private length = 16;
  private readonly nests: { offset: number; chunkIndex: number }[] = [];
  readonly seq: number;

  constructor(
    readonly type: number,
    readonly flags: number,
  ) {
    this.seq = nextSeq++;
    if (nextSeq > 0x7fffffff) nextSeq = 1;
  }

  /** Appends raw bytes (padded to 4), e.g. the family header struct. */
  raw(b: Buffer): this {
    const padded = Buffer.alloc(align4(b.length));
    b.copy(padded);
    this.chunks.push(padded);
    this.length += padded.length;
    return this;
  }

  /** Appends an attribute with the given payload. */
  attr(type: number, data: Buffer): this {
    const hdr = Buffer.alloc(4);
    hdr.writeUInt16LE(4 + data.length, 0);
    hdr.writeUInt16LE(type, 2);
    this.chunks.push(hdr);
    this.length += 4;
    return this.raw(data);
  }

  u8(type: number, v: number): this {
    return this.attr(type, Buffer.from([v & 0xff]));
  }
  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.attr(type, b);
  }
  /** A 16-bit attribute in network byte order. */
  be16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.attr(type, b);
  }
  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.attr(type, b);
  }
  /** A 32-bit attribute in network byte order. */
  be32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.attr(type, b);
  }
  u64(type: number, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.attr(type, b);
  }
  /** A NUL-terminated string attribute. */
  str(type: number, s: string): this {
    return this.attr(type, Buffer.from(`${s}\0`, 'utf8'));
  }
  /** A zero-length flag attribute. */
  flag(type: number): this {
    return this.attr(type, Buffer.alloc(0));
  }

  /** Appends a nested attribute whose children are added by fn. */
  nest(type: number, fn: (b: this) => void): this {
    const hdr = Buffer.alloc(4);
    hdr.writeUInt16LE(type | NLA_F_NESTED, 2);
    this.chunks.push(hdr);
    const start = this.length;
    this.length += 4;
    fn(this);
    hdr.writeUInt16LE(this.length - start, 0);
    return this;
  }

  /** The finished message bytes. */
  build(): Buffer {
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(this.length, 0);
    hdr.writeUInt16LE(this.type, 4);
    hdr.writeUInt16LE(this.flags, 6);
    hdr.writeUInt32LE(this.seq, 8);
    hdr.writeUInt32LE(0, 12);
    return Buffer.concat([hdr, ...this.chunks], this.length);
  }
}

/** Splits a datagram into messages. */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Parses a run of attributes. */
export function parseAttrs(buf: Buffer): NetlinkAttr[] {
  const out: NetlinkAttr[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < 4 || off + len > buf.length) break;
    out.push({
      type: rawType & 0x3fff,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: buf.subarray(off + 4, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (the last one wins for repeated types). */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of parseAttrs(buf)) m.set(a.type, a.data);
  return m;
}

/** Reads a NUL-terminated string attribute. */
export function attrString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

/** errno EBADMSG: what a reply too short for what it should hold is reported as. */
const EBADMSG = 74;

/**
 * Runs a decoder over a kernel reply. Fixed structs and attributes are read at their offsets,
 * so a reply shorter than what it should hold (a damaged or unexpected message) would raise a
 * bare RangeError; it becomes a NetlinkError (EBADMSG) naming what was being decoded.
 */
export function decoding<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new NetlinkError(`decode ${what}`, EBADMSG, 'EBADMSG', `reply too short (${e.message})`);
    }
    throw e;
  }
}

/** The outcome of an NLMSG_ERROR message: errno (0 = ack) and the extended-ack text. */
export interface AckResult {
  errno: number;
  extack?: string;
}

/** Decodes an NLMSG_ERROR payload (struct nlmsgerr plus optional extack TLVs). */
export function parseAck(msg: NetlinkMessage): AckResult {
  return decoding('netlink ack', () => decodeAck(msg));
}

function decodeAck(msg: NetlinkMessage): AckResult {
  const error = msg.payload.readInt32LE(0);
  const result: AckResult = { errno: -error || 0 }; // an ack is errno 0, not -0
  if (msg.flags & NLM_F.ACK_TLVS) {
    // struct nlmsgerr = int error + the original nlmsghdr (+ its payload unless capped)
    const origLen = msg.flags & NLM_F.CAPPED ? 16 : msg.payload.readUInt32LE(4);
    const tlvs = msg.payload.subarray(4 + align4(origLen));
    const NLMSGERR_ATTR_MSG = 1;
    const text = attrString(attrMap(tlvs).get(NLMSGERR_ATTR_MSG));
    if (text) result.extack = text;
  }
  return result;
}
