/**
 * Link shaping as tc qdisc netlink messages: a rate with tbf or htb, and delay/loss with netem
 * where the kernel has it. A minimal qdisc helper kept inside topology (the general tc module
 * lives in src/tc; this one may be merged into it later).
 */
import { NotSupportedError } from '../errors.js';
import { MessageBuilder, NLM_F } from '../netlink/message.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { RTM } from '../netlink/link.js';
import type { PlanShaping } from './plan.js';

const TC_H_ROOT = 0xffffffff;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TBF_PARMS = 1;
const TBF_RATE64 = 4;
const TBF_BURST = 6;
const HTB_PARMS = 1;
const HTB_INIT = 2;
const HTB_RATE64 = 6;
const HTB_CEIL64 = 7;
const NETEM_LATENCY64 = 8;
const TC_LINKLAYER_ETHERNET = 1;
const U32_MAX = 0xffffffff;

function tcmsg(ifindex: number, handle: number, parent: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(handle >>> 0, 8);
  b.writeUInt32LE(parent >>> 0, 12);
  return b;
}

/** struct tc_ratespec for bytesPerSec (capped at u32; the 64-bit attribute carries the rest). */
function ratespec(bytesPerSec: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(0, 0); // cell_log
  b.writeUInt8(TC_LINKLAYER_ETHERNET, 1);
  b.writeInt16LE(-1, 4); // cell_align
  b.writeUInt32LE(Math.min(bytesPerSec, U32_MAX), 8);
  return b;
}

/** psched ticks (64 ns) that `bytes` take at `bytesPerSec`. */
function ticks(bytes: number, bytesPerSec: number): number {
  return Math.min(U32_MAX, Math.floor((bytes / bytesPerSec) * 1e9) >> 6 || 1);
}

function qdisc(kind: string, ifindex: number, handle: number, parent: number): MessageBuilder {
  return new MessageBuilder(RTM.NEWQDISC, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL)
    .raw(tcmsg(ifindex, handle, parent))
    .str(TCA_KIND, kind);
}

/** A root tbf qdisc (handle 1:) holding `rate` bits/s with a `burst`-byte bucket. */
export function tbfQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest {
  const bps = Math.floor(rate / 8);
  const limit = Math.max(Math.ceil(bps * 0.05), 2 * burst); // ~50 ms of queue
  const qopt = Buffer.alloc(36);
  ratespec(bps).copy(qopt, 0);
  qopt.writeUInt32LE(limit, 24);
  qopt.writeUInt32LE(ticks(burst, bps), 28);
  const m = qdisc('tbf', ifindex, 0x10000, TC_H_ROOT);
  m.nest(TCA_OPTIONS, (o) => {
    o.attr(TBF_PARMS, qopt);
    if (bps > U32_MAX) o.u64(TBF_RATE64, BigInt(bps));
    o.u32(TBF_BURST, burst);
  });
  return { message: m, operation: `add tbf qdisc rate ${rate}bit on ${dev}` };
}

/** A root htb qdisc (handle 1:, default class 1:1) and its class 1:1 at `rate` bits/s. */
export function htbQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest[] {
  const bps = Math.floor(rate / 8);
  const glob = Buffer.alloc(20);
  glob.writeUInt32LE(3, 0); // version
  glob.writeUInt32LE(10, 4); // rate2quantum
  glob.writeUInt32LE(1, 8); // default class minor
  const root = qdisc('htb', ifindex, 0x10000, TC_H_ROOT);
  root.nest(TCA_OPTIONS, (o) => o.attr(HTB_INIT, glob));
  const opt = Buffer.alloc(44);
  ratespec(bps).copy(opt, 0);
  ratespec(bps).copy(opt, 12);
  opt.writeUInt32LE(ticks(burst, bps), 24);
  opt.writeUInt32LE(ticks(burst, bps), 28);
  const cls = new MessageBuilder(RTM.NEWTCLASS, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL)
    .raw(tcmsg(ifindex, 0x10001, 0x10000))
    .str(TCA_KIND, 'htb');
  cls.nest(TCA_OPTIONS, (o) => {
    o.attr(HTB_PARMS, opt);
    if (bps > U32_MAX) o.u64(HTB_RATE64, BigInt(bps)).u64(HTB_CEIL64, BigInt(bps));
  });
  return [
    { message: root, operation: `add htb qdisc on ${dev}` },
    { message: cls, operation: `add htb class 1:1 rate ${rate}bit on ${dev}` },
  ];
}

/** A netem qdisc with delay/loss under `parent` (handle 10:). Needs CONFIG_NET_SCH_NETEM. */
export function netemQdisc(
  ifindex: number,
  parent: number,
  delayUs = 0,
  loss = 0,
  dev = `${ifindex}`,
): NetlinkRequest {
  // netem's options are a bare struct tc_netem_qopt followed by nested attributes
  const qopt = Buffer.alloc(24);
  qopt.writeUInt32LE(Math.min(U32_MAX, Math.floor((delayUs * 1000) / 64)), 0);
  qopt.writeUInt32LE(1000, 4); // limit (packets)
  qopt.writeUInt32LE(Math.min(U32_MAX, Math.round(loss * U32_MAX)), 8);
  const latency = Buffer.alloc(12);
  latency.writeUInt16LE(12, 0);
  latency.writeUInt16LE(NETEM_LATENCY64, 2);
  latency.writeBigInt64LE(BigInt(Math.round(delayUs * 1000)), 4);
  const m = qdisc('netem', ifindex, 0x100000, parent).attr(TCA_OPTIONS, Buffer.concat([qopt, latency]));
  return { message: m, operation: `add netem qdisc on ${dev}` };
}

/** Every request shaping one end of a link (egress of device ifindex). */
export function shapingRequests(ifindex: number, s: PlanShaping, dev: string): NetlinkRequest[] {
  const out: NetlinkRequest[] = [];
  const impair = s.delayUs !== undefined || s.loss !== undefined;
  if (s.rate !== undefined) {
    if (s.qdisc === 'htb') out.push(...htbQdisc(ifindex, s.rate, s.burst, dev));
    else out.push(tbfQdisc(ifindex, s.rate, s.burst, dev));
    if (impair) out.push(netemQdisc(ifindex, 0x10001, s.delayUs, s.loss, dev));
  } else if (impair) {
    out.push(netemQdisc(ifindex, TC_H_ROOT, s.delayUs, s.loss, dev));
  }
  return out;
}

let netemProbe: Promise<boolean> | undefined;

/** Whether the kernel has netem (probed once, in a throwaway namespace). */
export function hasNetem(): Promise<boolean> {
  netemProbe ??= transactIn('@fresh', [netemQdisc(1, TC_H_ROOT, 1000, 0, 'lo')]).then(([r]) => {
    return !(r instanceof Error && (r as { errno?: number }).errno === 2);
  });
  return netemProbe;
}

/**
 * Throws when shaping asks for delay or loss and the kernel lacks netem.
 * @throws NotSupportedError naming CONFIG_NET_SCH_NETEM.
 */
export async function requireNetemFor(shapings: PlanShaping[]): Promise<void> {
  if (!shapings.some((s) => s.delayUs !== undefined || s.loss !== undefined)) return;
  if (!(await hasNetem())) {
    throw new NotSupportedError(
      'netem qdisc (link delay/loss)',
      'CONFIG_NET_SCH_NETEM',
      'drop delay/loss from the shaping, or run on a kernel with netem; rate limits work without it',
    );
  }
}
