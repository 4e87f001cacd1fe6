/** clsact: the ingress and egress hooks BPF filters hang from (handle ffff:, parent ffff:fff1). */
import { defineKind } from '../kind.js';

/** A clsact qdisc. */
export interface ClsactSpec {
  kind: 'clsact';
}

export default defineKind({
  object: 'qdisc',
  kind: 'clsact',
  feature: {
    name: 'clsact',
    description: 'clsact qdisc (tc ingress+egress hooks)',
    kernelOption: 'CONFIG_NET_SCH_INGRESS',
    fallback: 'ingress qdisc for ingress only',
  },
  hook: true,
  parse: (_s: ClsactSpec) => undefined,
  options: () => undefined,
  decode: () => ({}),
});
