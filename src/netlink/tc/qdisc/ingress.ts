/** ingress: the ingress hook only (handle ffff:, parent ffff:fff1). */
import { defineKind } from '../kind.js';

/** An ingress qdisc. */
export interface IngressSpec {
  kind: 'ingress';
}

export default defineKind({
  object: 'qdisc',
  kind: 'ingress',
  feature: {
    name: 'ingress',
    description: 'ingress qdisc',
    kernelOption: 'CONFIG_NET_SCH_INGRESS',
    fallback: 'clsact',
  },
  hook: true,
  parse: (_s: IngressSpec) => undefined,
  options: () => undefined,
  decode: () => ({}),
});
