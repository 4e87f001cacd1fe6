/**
 * Netlink messages (pure; no kernel): struct nlmsghdr, its flags and control types, outgoing
 * messages ({@link MessageBuilder}, {@link buildMessage}) and replies split into messages
 * ({@link parseMessages}) and acks ({@link parseAck}). Bodies are encoded and decoded with the
 * schemas of ./schema.ts.
 */
import {
  align4,
  attrs,
  badMessage,
  decodeAttrs,
  encodeMessage,
  struct,
  type AttrDefs,
  type FieldMap,
  type Message,
  type MessageIn,
} from './schema.js';

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

/** The flag sets requests use. */
export const REQUEST = {
  /** A request the kernel acknowledges. */
  ACK: NLM_F.REQUEST | NLM_F.ACK,
  /** Create; fail when it exists. */
  CREATE: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL,
  /** Create, or replace what is there. */
  CREATE_OR_REPLACE: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.REPLACE,
  /** Replace what is there (fail when nothing is). */
  REPLACE: NLM_F.REQUEST | NLM_F.ACK | NLM_F.REPLACE,
  /** A dump. */
  DUMP: NLM_F.REQUEST | NLM_F.DUMP,
} as const;

/** Control message types (NLMSG_*). */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

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

/** struct nlmsghdr (linux/netlink.h). */
export const NLMSGHDR = struct('nlmsghdr', {
  nlmsg_len: 'u32',
  nlmsg_type: 'u16',
  nlmsg_flags: 'u16',
  nlmsg_seq: 'u32',
  nlmsg_pid: 'u32',
});

/**
 * One outgoing netlink message: type, flags and a body (the family header and attributes,
 * encoded with the schemas of ./schema.ts). Each gets its own sequence number.
 */
export class MessageBuilder {
  private readonly chunks: Buffer[] = [];
  private length = NLMSGHDR.size;
  readonly seq: number;

  constructor(
    readonly type: number,
    readonly flags: number,
    body?: Buffer,
  ) {
    this.seq = nextSeq++;
    if (nextSeq > 0x7fffffff) nextSeq = 1;
    if (body) this.raw(body);
  }

  /** Appends encoded bytes (padded to 4; the bytes are copied when the message is built). */
  raw(b: Buffer): this {
    this.chunks.push(b);
    this.length += align4(b.length);
    return this;
  }

  /** The finished message bytes (pid 0: the kernel fills in the port). */
  build(): Buffer {
    const out = Buffer.alloc(this.length); // zeroed: the padding after each chunk
    out.writeUInt32LE(this.length, 0);
    out.writeUInt16LE(this.type, 4);
    out.writeUInt16LE(this.flags, 6);
    out.writeUInt32LE(this.seq, 8);
    let off = NLMSGHDR.size;
    for (const c of this.chunks) {
      c.copy(out, off);
      off += align4(c.length);
    }
    return out;
  }
}

/** Builds a message from a schema and its values. */
export function buildMessage<H extends FieldMap, D extends AttrDefs>(
  type: number,
  flags: number,
  schema: Message<H, D>,
  values: MessageIn<H, D>,
): MessageBuilder {
  return new MessageBuilder(type, flags, encodeMessage(schema, values));
}

/** Splits a datagram into messages. */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSGHDR.size <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSGHDR.size || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSGHDR.size, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The outcome of an NLMSG_ERROR message: errno (0 = ack) and the extended-ack text. */
export interface AckResult {
  errno: number;
  extack?: string;
}

/** Extended-ack attributes after struct nlmsgerr (NLMSGERR_ATTR_*). */
export const NLMSGERR_ATTRS = attrs('NLMSGERR_ATTR', {
  MSG: [1, 'string'],
  OFFS: [2, 'u32'],
  COOKIE: [3, 'binary'],
  POLICY: [4, 'binary'],
  MISS_TYPE: [5, 'u32'],
  MISS_NEST: [6, 'u32'],
});

/**
 * Decodes an NLMSG_ERROR payload (struct nlmsgerr plus optional extack TLVs).
 * @throws NetlinkError EBADMSG when it is too short for the error number.
 */
export function parseAck(msg: NetlinkMessage): AckResult {
  if (msg.payload.length < 4) throw badMessage('netlink ack', `${msg.payload.length} of 4 bytes`);
  const error = msg.payload.readInt32LE(0);
  const result: AckResult = { errno: -error || 0 }; // an ack is errno 0, not -0
  if (msg.flags & NLM_F.ACK_TLVS) {
    // struct nlmsgerr = int error + the original nlmsghdr (+ its payload unless capped)
    if (msg.payload.length < 4 + NLMSGHDR.size) throw badMessage('netlink ack', 'no original header');
    const origLen = msg.flags & NLM_F.CAPPED ? NLMSGHDR.size : msg.payload.readUInt32LE(4);
    const text = decodeAttrs(NLMSGERR_ATTRS, msg.payload.subarray(4 + align4(origLen))).MSG;
    if (text) result.extack = text;
  }
  return result;
}
