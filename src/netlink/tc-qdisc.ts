/**
 * The tc objects both src/tc and src/topology build, encoded once: struct tcmsg, the top-level
 * TCA_* attributes, and the options of tbf, htb and netem qdiscs and htb classes (linux/pkt_sched.h).
 * Pure: callers parse their values (src/netlink/tc-units.ts) and choose their policy (limits,
 * bursts, defaults); these only lay the kernel's structs out. No BPF, no kernel.
 */
import { decoding, type MessageBuilder } from './message.js';
import { writeRateSpec, type RateSpec } from './tc-ratespec.js';

/** Top-level tc attributes (TCA_*). */
export const TCA = {
  KIND: 1,
  OPTIONS: 2,
  STATS: 3,
  XSTATS: 4,
  RATE: 5,
  STATS2: 7,
  CHAIN: 11,
} as const;

/** Special handles. */
export const TC_H = {
  ROOT: 0xffffffff,
  INGRESS: 0xfffffff1,
  CLSACT: 0xfffffff1,
  MIN_INGRESS: 0xfff2,
  MIN_EGRESS: 0xfff3,
  UNSPEC: 0,
} as const;

/** struct tcmsg fields. */
export interface TcMsg {
  ifindex: number;
  handle: number;
  parent: number;
  /** For filters: priority << 16 | protocol in network order. */
  info: number;
}

/** Encodes struct tcmsg (20 bytes). */
export function tcmsg(m: TcMsg): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32LE(m.ifindex, 4);
  b.writeUInt32LE(m.handle >>> 0, 8);
  b.writeUInt32LE(m.parent >>> 0, 12);
  b.writeUInt32LE(m.info >>> 0, 16);
  return b;
}

/** Decodes struct tcmsg and returns it with the attribute bytes after it. */
export function readTcmsg(payload: Buffer): TcMsg & { attrs: Buffer } {
  return decoding('tc message', () => ({
    ifindex: payload.readInt32LE(4),
    handle: payload.readUInt32LE(8),
    parent: payload.readUInt32LE(12),
    info: payload.readUInt32LE(16),
    attrs: payload.subarray(20),
  }));
}

const TCA_TBF = { PARMS: 1, RATE64: 4, BURST: 6 } as const;
const TCA_HTB = { PARMS: 1, INIT: 2, DIRECT_QLEN: 5, RATE64: 6, CEIL64: 7 } as const;
/** A rate that does not fit the 32-bit field of struct tc_ratespec also goes in a 64-bit attribute. */
const U32_LIMIT = 2 ** 32;

/** struct tc_tbf_qopt and TCA_TBF_BURST, all values already in the kernel's units. */
export interface TbfParms {
  rate: RateSpec;
  /** Peak rate (absent: none). */
  peak?: RateSpec;
  /** Queue length in bytes. */
  limit: number;
  /** Bucket size in psched ticks at the rate. */
  buffer: number;
  /** Peak bucket in psched ticks (0: none). */
  mtu: number;
  /** Bucket size in bytes. */
  burst: number;
}

/** Adds TCA_KIND "tbf" and its TCA_OPTIONS (TCA_TBF_PARMS, TCA_TBF_RATE64 when needed, TCA_TBF_BURST). */
export function encodeTbf(m: MessageBuilder, p: TbfParms): void {
  m.str(TCA.KIND, 'tbf').nest(TCA.OPTIONS, (o) => {
    const q = Buffer.alloc(36);
    writeRateSpec(q, 0, p.rate);
    if (p.peak) writeRateSpec(q, 12, p.peak);
    q.writeUInt32LE(p.limit, 24);
    q.writeUInt32LE(p.buffer, 28);
    q.writeUInt32LE(p.mtu, 32);
    o.attr(TCA_TBF.PARMS, q);
    if (p.rate.bytesPerSecond >= U32_LIMIT) o.u64(TCA_TBF.RATE64, BigInt(Math.round(p.rate.bytesPerSecond)));
    o.u32(TCA_TBF.BURST, p.burst);
  });
}

/** struct tc_htb_glob and the optional TCA_HTB_DIRECT_QLEN. */
export interface HtbGlob {
  /** Rate-to-quantum divisor (tc's r2q). */
  r2q: number;
  /** Minor of the default class (0: unclassified traffic goes unshaped). */
  defaultClass: number;
  /** Packets the direct queue holds (absent: the attribute is left out). */
  directQlen?: number;
}

/** Adds TCA_KIND "htb" and the qdisc's TCA_OPTIONS (TCA_HTB_INIT, version 3). */
export function encodeHtbQdisc(m: MessageBuilder, g: HtbGlob): void {
  m.str(TCA.KIND, 'htb').nest(TCA.OPTIONS, (o) => {
    const glob = Buffer.alloc(20);
    glob.writeUInt32LE(3, 0); // version
    glob.writeUInt32LE(g.r2q, 4);
    glob.writeUInt32LE(g.defaultClass, 8);
    o.attr(TCA_HTB.INIT, glob);
    if (g.directQlen !== undefined) o.u32(TCA_HTB.DIRECT_QLEN, g.directQlen);
  });
}

/** struct tc_htb_opt, all values already in the kernel's units. */
export interface HtbClassParms {
  rate: RateSpec;
  ceil: RateSpec;
  /** Bucket at the rate, in psched ticks. */
  buffer: number;
  /** Bucket at the ceiling, in psched ticks. */
  cbuffer: number;
  /** Bytes per round (0: derived from r2q). */
  quantum?: number;
  /** Borrowing priority (0 highest). */
  prio?: number;
}

/** Adds TCA_KIND "htb" and the class's TCA_OPTIONS (TCA_HTB_PARMS, 64-bit rate/ceil when needed). */
export function encodeHtbClassOptions(m: MessageBuilder, p: HtbClassParms): void {
  m.str(TCA.KIND, 'htb').nest(TCA.OPTIONS, (o) => {
    const b = Buffer.alloc(44);
    writeRateSpec(b, 0, p.rate);
    writeRateSpec(b, 12, p.ceil);
    b.writeUInt32LE(p.buffer, 24);
    b.writeUInt32LE(p.cbuffer, 28);
    b.writeUInt32LE(p.quantum ?? 0, 32);
    b.writeUInt32LE(p.prio ?? 0, 40);
    o.attr(TCA_HTB.PARMS, b);
    if (p.rate.bytesPerSecond >= U32_LIMIT) o.u64(TCA_HTB.RATE64, BigInt(Math.round(p.rate.bytesPerSecond)));
    if (p.ceil.bytesPerSecond >= U32_LIMIT) o.u64(TCA_HTB.CEIL64, BigInt(Math.round(p.ceil.bytesPerSecond)));
  });
}

const TCA_NETEM_LATENCY64 = 8;
const U32_MAX = 0xffffffff;

/** struct tc_netem_qopt (and TCA_NETEM_LATENCY64), values already in the kernel's units. */
export interface NetemParms {
  /** Delay in psched ticks. */
  latency: number;
  /** Queue length in packets. */
  limit: number;
  /** Loss probability 0..1 (sent as a fraction of 2^32-1). */
  loss: number;
  /** Jitter in psched ticks (0: none). */
  jitter?: number;
  /** Delay in nanoseconds as TCA_NETEM_LATENCY64 (absent: the attribute is left out). */
  latencyNs?: number;
}

/**
 * Adds TCA_KIND "netem" and its TCA_OPTIONS: a bare struct tc_netem_qopt, followed by the
 * nested attributes (netem's options are not a nest).
 */
export function encodeNetem(m: MessageBuilder, p: NetemParms): void {
  const q = Buffer.alloc(24);
  q.writeUInt32LE(p.latency, 0);
  q.writeUInt32LE(p.limit, 4);
  q.writeUInt32LE(Math.min(U32_MAX, Math.round(p.loss * U32_MAX)), 8);
  q.writeUInt32LE(p.jitter ?? 0, 20);
  const parts = [q];
  if (p.latencyNs !== undefined) {
    const latency = Buffer.alloc(12);
    latency.writeUInt16LE(12, 0);
    latency.writeUInt16LE(TCA_NETEM_LATENCY64, 2);
    latency.writeBigInt64LE(BigInt(Math.round(p.latencyNs)), 4);
    parts.push(latency);
  }
  m.str(TCA.KIND, 'netem').attr(TCA.OPTIONS, Buffer.concat(parts));
}
