/** sfq: stochastic fairness queueing (CONFIG_NET_SCH_SFQ); options are a bare struct tc_sfq_qopt. */
import { decodeStruct, struct, structPayload } from '../../schema.js';
import { defineKind } from '../kind.js';
import type { SizeInput } from '../units.js';

/** struct tc_sfq_qopt. */
export const TC_SFQ_QOPT = struct('tc_sfq_qopt', {
  quantum: 'u32',
  perturb_period: 's32',
  limit: 'u32',
  divisor: 'u32',
  flows: 'u32',
});

/** An sfq qdisc. */
export interface SfqSpec {
  kind: 'sfq';
  /** Seconds between hash perturbations. */
  perturb?: number;
  /** Bytes per round (default: the device MTU). */
  quantum?: SizeInput;
  /** Packets. */
  limit?: number;
}

/** An sfq qdisc as the kernel reports it. */
export interface SfqInfo {
  quantum: number;
  perturb: number;
  limit: number;
}

export default defineKind({
  object: 'qdisc',
  kind: 'sfq',
  feature: {
    name: 'sfq',
    description: 'SFQ qdisc',
    kernelOption: 'CONFIG_NET_SCH_SFQ',
    fallback: 'clsact egress for egress filters',
  },
  parse: (s: SfqSpec, c) => ({
    quantum: c.sizeOpt(s.quantum, 'quantum') ?? 0,
    perturb: c.intOpt(s.perturb, 'perturb', 0, 0x7fffffff) ?? 0,
    limit: c.intOpt(s.limit, 'limit', 0, 0xffffffff) ?? 0,
  }),
  options: (p) =>
    structPayload(TC_SFQ_QOPT, { quantum: p.quantum, perturb_period: p.perturb, limit: p.limit }),
  decode(options): SfqInfo {
    const q = decodeStruct(TC_SFQ_QOPT, options);
    return { quantum: q.quantum, perturb: q.perturb_period, limit: q.limit };
  },
});
