/** fq_codel: fair queueing with CoDel (CONFIG_NET_SCH_FQ_CODEL), options TCA_FQ_CODEL_*. */
import { attrs, decodeAttrs, nestPayload } from '../../schema.js';
import { defineKind } from '../kind.js';
import type { TimeInput } from '../units.js';

/** fq_codel options (TCA_FQ_CODEL_*). */
export const TCA_FQ_CODEL = attrs('TCA_FQ_CODEL', {
  TARGET: [1, 'u32'],
  LIMIT: [2, 'u32'],
  INTERVAL: [3, 'u32'],
  ECN: [4, 'u32'],
  FLOWS: [5, 'u32'],
  QUANTUM: [6, 'u32'],
  CE_THRESHOLD: [7, 'u32'],
  DROP_BATCH_SIZE: [8, 'u32'],
  MEMORY_LIMIT: [9, 'u32'],
});

/** An fq_codel qdisc. */
export interface FqCodelSpec {
  kind: 'fq_codel';
  /** Packets. */
  limit?: number;
  target?: TimeInput;
  interval?: TimeInput;
  flows?: number;
  ecn?: boolean;
}

/** An fq_codel qdisc as the kernel reports it (times in microseconds). */
export interface FqCodelInfo {
  limit?: number;
  target?: number;
  interval?: number;
  flows?: number;
  ecn?: boolean;
}

export default defineKind({
  object: 'qdisc',
  kind: 'fq_codel',
  feature: {
    name: 'fq_codel',
    description: 'fq_codel qdisc',
    kernelOption: 'CONFIG_NET_SCH_FQ_CODEL',
    fallback: 'the default pfifo_fast/noqueue',
  },
  parse: (s: FqCodelSpec, c) => ({
    limit: c.intOpt(s.limit, 'limit', 1, 0xffffffff),
    target: c.timeOpt(s.target, 'target'),
    interval: c.timeOpt(s.interval, 'interval'),
    flows: c.intOpt(s.flows, 'flows', 1, 65536),
    ecn: c.boolOpt(s.ecn, 'ecn'),
  }),
  options: (p) =>
    nestPayload(TCA_FQ_CODEL, {
      LIMIT: p.limit,
      TARGET: p.target,
      INTERVAL: p.interval,
      FLOWS: p.flows,
      ECN: p.ecn === undefined ? undefined : p.ecn ? 1 : 0,
    }),
  decode(options): FqCodelInfo {
    const a = decodeAttrs(TCA_FQ_CODEL, options);
    const info: FqCodelInfo = {};
    if (a.LIMIT !== undefined) info.limit = a.LIMIT;
    if (a.TARGET !== undefined) info.target = a.TARGET;
    if (a.INTERVAL !== undefined) info.interval = a.INTERVAL;
    if (a.FLOWS !== undefined) info.flows = a.FLOWS;
    if (a.ECN !== undefined) info.ecn = a.ECN !== 0;
    return info;
  },
});
