/** mirred: redirect (the packet leaves this path) or mirror (a copy) to another interface. */
import { interfaceNameProblem } from '../../../util/netns-path.js';
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { TC_ACT, TC_GEN } from '../tca.js';

/** struct tc_mirred. */
export const TC_MIRRED = struct('tc_mirred', { ...TC_GEN, eaction: 's32', ifindex: 'u32' });

/** mirred options (TCA_MIRRED_*). */
export const TCA_MIRRED = attrs('TCA_MIRRED', { TM: [1, 'binary'], PARMS: [2, TC_MIRRED] });

/** TCA_{EGRESS,INGRESS}_{REDIR,MIRROR}. */
const EACTION = {
  'egress-redirect': 1,
  'egress-mirror': 2,
  'ingress-redirect': 3,
  'ingress-mirror': 4,
} as const;

/** A mirred action. */
export interface MirredSpec {
  kind: 'mirred';
  mode: 'redirect' | 'mirror';
  /** Interface in the same namespace. */
  to: string;
  /** Deliver on the target's egress (transmit, default) or ingress (receive). */
  direction?: 'egress' | 'ingress';
}

/** A mirred action as the kernel reports it. */
export interface MirredInfo {
  mode: 'redirect' | 'mirror';
  direction: 'egress' | 'ingress';
  ifindex: number;
}

export default defineKind({
  object: 'action',
  kind: 'mirred',
  feature: {
    name: 'act_mirred',
    description: 'mirred action (redirect/mirror)',
    kernelOption: 'CONFIG_NET_ACT_MIRRED',
    fallback: 'bpf_redirect / bpf_clone_redirect from the program',
  },
  parse: (s: MirredSpec, c) => ({
    mode: c.oneOf(s.mode, 'mode', ['redirect', 'mirror'] as const, 'redirect'),
    to: c.ifname(s.to, 'to', 'mirred needs the interface to send to (to)'),
    direction: c.oneOf(s.direction, 'direction', ['egress', 'ingress'] as const, 'egress'),
  }),
  interfaces: (s) => (interfaceNameProblem(s.to) === undefined ? [{ name: s.to, field: 'to' }] : []),
  options: (p, env) =>
    nestPayload(TCA_MIRRED, {
      PARMS: {
        action: p.mode === 'redirect' ? TC_ACT.STOLEN : TC_ACT.PIPE,
        eaction: EACTION[`${p.direction}-${p.mode}`],
        ifindex: env.ifindex(p.to),
      },
    }),
  decode(options): MirredInfo {
    const p = decodeAttrs(TCA_MIRRED, options).PARMS;
    const e = p?.eaction ?? 1;
    return {
      mode: e === 1 || e === 3 ? 'redirect' : 'mirror',
      direction: e <= 2 ? 'egress' : 'ingress',
      ifindex: p?.ifindex ?? 0,
    };
  },
});
