/**
 * Whether the kernel has a tc kind, asked for real: a request that creates an object of the
 * kind with the least options, in a throwaway namespace whose lo (and a veth at ifindex
 * {@link PROBE_VETH_INDEX}, which the caller makes first) carry it. The kernel answers an unknown
 * kind with ENOENT and an extended ack ("... kind is unknown", "Failed to load TC action
 * module"); any other answer, even EINVAL for the minimal options, means the kind exists.
 */
import { NetlinkError } from '../../errors.js';
import { ERRNO } from '../../errno.js';
import { buildMessage, REQUEST, type MessageBuilder } from '../message.js';
import { RTM } from '../rtnetlink.js';
import type { AnyTcKind } from './kind.js';
import { kindsOf } from './registry.js';
import { ACTION_MSG, ETH_P, HOOK_QDISC_HANDLE, PARENT_INGRESS, TC_H, TC_MSG, tcHandle } from './tca.js';
import { filterInfoField } from './filter.js';

/** ifindex of lo in a fresh namespace. */
export const PROBE_LO = 1;
/** The ifindex the caller gives the veth it makes in the probe namespace first. */
export const PROBE_VETH_INDEX = 100;

/** Whether an error says the tc kind is not in the kernel (ENOENT with the kernel's words for it). */
export function isUnknownTcKind(e: unknown): boolean {
  return (
    e instanceof NetlinkError &&
    e.errno === ERRNO.ENOENT &&
    /unknown|not found|load|module/i.test(e.extack ?? '')
  );
}

/** How a probe reads an error: an unknown kind, or ENOENT without an extended ack (old kernels). */
export function probeSaysMissing(e: NetlinkError): boolean {
  return isUnknownTcKind(e) || (e.errno === ERRNO.ENOENT && !e.extack);
}

/**
 * The request that probes a kind (undefined for kinds probed through another family, e.g.
 * htb classes through the htb qdisc). Qdiscs are made at the root of lo with handles
 * `index+1:`; hook qdiscs (clsact, ingress) each on their own device; filters on lo's
 * clsact ingress hook (probe the qdiscs first); actions on their own.
 */
export function probeRequest(k: AnyTcKind, index: number): MessageBuilder | undefined {
  switch (k.object) {
    case 'qdisc': {
      const hooks = kindsOf('qdisc').filter((q) => q.hook);
      const hookIndex = hooks.indexOf(k);
      const ifindex = hookIndex > 0 ? PROBE_VETH_INDEX : PROBE_LO;
      return buildMessage(RTM.NEWQDISC, REQUEST.CREATE_OR_REPLACE, TC_MSG, {
        header: {
          tcm_ifindex: ifindex,
          tcm_handle: k.hook ? HOOK_QDISC_HANDLE : tcHandle((index + 1) << 16, 0),
          tcm_parent: k.hook ? TC_H.CLSACT : TC_H.ROOT,
        },
        attrs: { KIND: k.kind },
      });
    }
    case 'filter':
      return buildMessage(RTM.NEWTFILTER, REQUEST.CREATE, TC_MSG, {
        header: {
          tcm_ifindex: PROBE_LO,
          tcm_parent: PARENT_INGRESS,
          tcm_info: filterInfoField(1, ETH_P.ALL),
        },
        attrs: { KIND: k.kind },
      });
    case 'action':
      return buildMessage(RTM.NEWACTION, REQUEST.CREATE, ACTION_MSG, { attrs: { TAB: [{ KIND: k.kind }] } });
    case 'class':
      return undefined;
  }
}

/** Every kind's probe, with the feature it answers for, once per feature (qdiscs first). */
export function tcKindProbes(): { feature: string; message: MessageBuilder }[] {
  const out: { feature: string; message: MessageBuilder }[] = [];
  const seen = new Set<string>();
  for (const object of ['qdisc', 'filter', 'action', 'class'] as const) {
    kindsOf(object).forEach((k, i) => {
      if (seen.has(k.feature.name)) return;
      const message = probeRequest(k, i);
      if (!message) return;
      seen.add(k.feature.name);
      out.push({ feature: k.feature.name, message });
    });
  }
  return out;
}
