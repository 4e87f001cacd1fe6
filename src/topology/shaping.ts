/**
 * Link shaping as tc qdisc netlink messages: a rate with tbf or htb, and delay/loss with netem
 * where the kernel has it. The struct layouts and the kernel's units (psched ticks, rate specs)
 * are shared with src/tc (src/netlink/tc-qdisc.ts, tc-ratespec.ts); the policy here is
 * topology's own (root handle 1:, class 1:1, a ~50 ms tbf queue).
 */
import { NotSupportedError } from '../errors.js';
import { MessageBuilder, NLM_F } from '../netlink/message.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { RTM } from '../netlink/link.js';
import {
  encodeHtbClassOptions,
  encodeHtbQdisc,
  encodeNetem,
  encodeTbf,
  TC_H,
  tcmsg,
} from '../netlink/tc-qdisc.js';
import { usToTicks, xmitTicks, type RateSpec } from '../netlink/tc-ratespec.js';
import type { PlanShaping } from './plan.js';

const CREATE = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;

/** The rate spec topology writes: bytes per second, cell_log 0 (cell_align -1). */
function ratespec(bytesPerSecond: number): RateSpec {
  return { bytesPerSecond, cellLog: 0 };
}

function qdisc(ifindex: number, handle: number, parent: number): MessageBuilder {
  return new MessageBuilder(RTM.NEWQDISC, CREATE).raw(tcmsg({ ifindex, handle, parent, info: 0 }));
}

/** A root tbf qdisc (handle 1:) holding `rate` bits/s with a `burst`-byte bucket. */
export function tbfQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest {
  const bps = Math.floor(rate / 8);
  const limit = Math.max(Math.ceil(bps * 0.05), 2 * burst); // ~50 ms of queue
  const m = qdisc(ifindex, 0x10000, TC_H.ROOT);
  encodeTbf(m, { rate: ratespec(bps), limit, buffer: xmitTicks(bps, burst), mtu: 0, burst });
  return { message: m, operation: `add tbf qdisc rate ${rate}bit on ${dev}` };
}

/** A root htb qdisc (handle 1:, default class 1:1) and its class 1:1 at `rate` bits/s. */
export function htbQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest[] {
  const bps = Math.floor(rate / 8);
  const root = qdisc(ifindex, 0x10000, TC_H.ROOT);
  encodeHtbQdisc(root, { r2q: 10, defaultClass: 1 });
  const cls = new MessageBuilder(RTM.NEWTCLASS, CREATE).raw(
    tcmsg({ ifindex, handle: 0x10001, parent: 0x10000, info: 0 }),
  );
  const buffer = xmitTicks(bps, burst);
  encodeHtbClassOptions(cls, { rate: ratespec(bps), ceil: ratespec(bps), buffer, cbuffer: buffer });
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
  const m = qdisc(ifindex, 0x100000, parent);
  encodeNetem(m, {
    latency: usToTicks(delayUs),
    limit: 1000,
    loss,
    latencyNs: delayUs * 1000,
  });
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
    out.push(netemQdisc(ifindex, TC_H.ROOT, s.delayUs, s.loss, dev));
  }
  return out;
}

let netemProbe: Promise<boolean> | undefined;

/** Whether the kernel has netem (probed once, in a throwaway namespace). */
export function hasNetem(): Promise<boolean> {
  netemProbe ??= transactIn('@fresh', [netemQdisc(1, TC_H.ROOT, 1000, 0, 'lo')]).then(([r]) => {
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
