/**
 * pfifo_fast: the three-band FIFO many devices get by default (net/sched/sch_generic.c, built
 * in wherever tc is: CONFIG_NET_SCHED). It takes no options; the kernel reports its fixed bands
 * and priomap as a struct tc_prio_qopt, which it shares with prio.
 */
import { decodeStruct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { TC_PRIO_QOPT, type PrioInfo } from './prio.js';

/** A pfifo_fast qdisc. */
export interface PfifoFastSpec {
  kind: 'pfifo_fast';
}

export default defineKind({
  object: 'qdisc',
  kind: 'pfifo_fast',
  feature: {
    name: 'pfifo_fast',
    description: 'pfifo_fast qdisc (three priority bands)',
    kernelOption: 'CONFIG_NET_SCHED',
    fallback: 'none (built in with tc)',
  },
  parse: (_s: PfifoFastSpec) => undefined,
  options: () => undefined,
  decode(options): PrioInfo {
    const q = decodeStruct(TC_PRIO_QOPT, options);
    return { bands: q.bands, priomap: q.priomap };
  },
});
