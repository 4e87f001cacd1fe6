/**
 * Link shaping as tc qdisc messages: a rate with tbf or htb, and delay/loss with netem where the
 * kernel has it. The qdiscs and classes are the tc object model's (src/netlink/tc: the same
 * specs, checks and encoders src/tc uses); the policy here is topology's own (root handle 1:,
 * class 1:1, a ~50 ms tbf queue, netem at 10:).
 */
import { NotSupportedError } from '../errors.js';
import type { NetlinkRequest } from '../netlink/socket.js';
import { transactIn } from '../netlink/socket.js';
import { newClass, resolveClass } from '../netlink/tc/class.js';
import { isUnknownTcKind, PROBE_LO } from '../netlink/tc/probe.js';
import { newQdisc, resolveQdisc, type QdiscSpec } from '../netlink/tc/qdisc.js';
import { TC_H } from '../netlink/tc/tca.js';
import { formatHandle } from '../netlink/tc/units.js';
import type { PlanShaping } from './plan.js';

/** The tbf of a shaped link: root 1:, `rate` bits/s, a `burst`-byte bucket, ~50 ms of queue. */
export function tbfSpec(rate: number, burst: number): QdiscSpec {
  const limit = Math.max(Math.ceil((rate / 8) * 0.05), 2 * burst);
  return { kind: 'tbf', handle: '1:', parent: 'root', rate, burst, limit };
}

/** A root tbf qdisc (handle 1:) holding `rate` bits/s with a `burst`-byte bucket. */
export function tbfQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest {
  return {
    message: newQdisc(ifindex, resolveQdisc(tbfSpec(rate, burst))),
    operation: `add tbf qdisc rate ${rate}bit on ${dev}`,
  };
}

/** A root htb qdisc (handle 1:, default class 1:1) and its class 1:1 at `rate` bits/s. */
export function htbQdisc(ifindex: number, rate: number, burst: number, dev = `${ifindex}`): NetlinkRequest[] {
  const root = resolveQdisc({ kind: 'htb', handle: '1:', parent: 'root', defaultClass: 1, r2q: 10 });
  const cls = resolveClass({
    kind: 'htb',
    classid: '1:1',
    parent: '1:',
    rate,
    ceil: rate,
    burst,
    cburst: burst,
  });
  return [
    { message: newQdisc(ifindex, root), operation: `add htb qdisc on ${dev}` },
    { message: newClass(ifindex, cls), operation: `add htb class 1:1 rate ${rate}bit on ${dev}` },
  ];
}

/** A netem qdisc with delay (µs) and loss (fraction 0..1) under `parent` (handle 10:). Needs CONFIG_NET_SCH_NETEM. */
export function netemQdisc(
  ifindex: number,
  parent: number,
  delayUs = 0,
  loss = 0,
  dev = `${ifindex}`,
): NetlinkRequest {
  const q = resolveQdisc({
    kind: 'netem',
    handle: '10:',
    parent: formatHandle(parent),
    delay: delayUs,
    loss: loss * 100,
    limit: 1000,
  });
  return { message: newQdisc(ifindex, q), operation: `add netem qdisc on ${dev}` };
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
  netemProbe ??= transactIn('@fresh', [netemQdisc(PROBE_LO, TC_H.ROOT, 1000, 0, 'lo')]).then(
    ([r]) => !isUnknownTcKind(r),
  );
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
