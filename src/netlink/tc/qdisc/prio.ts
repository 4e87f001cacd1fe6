/** prio: strict priority bands (CONFIG_NET_SCH_PRIO); options are a bare struct tc_prio_qopt. */
import { decodeStruct, struct, structPayload } from '../../schema.js';
import { defineKind } from '../kind.js';

/** TC_PRIO_MAX + 1: how many skb priorities the priomap covers. */
const PRIOMAP_LEN = 16;

/** struct tc_prio_qopt (also what pfifo_fast reports). */
export const TC_PRIO_QOPT = struct('tc_prio_qopt', {
  bands: 's32',
  priomap: { array: 'u8', length: PRIOMAP_LEN },
});

/** The kernel's default priomap (sch_generic.c's sch_default_prio2band). */
export const DEFAULT_PRIOMAP: readonly number[] = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

/** A prio qdisc. */
export interface PrioSpec {
  kind: 'prio';
  /** Bands (default 3). */
  bands?: number;
  /** 16 band numbers indexed by skb priority. */
  priomap?: number[];
}

/** A prio qdisc as the kernel reports it. */
export interface PrioInfo {
  bands: number;
  priomap: number[];
}

export default defineKind({
  object: 'qdisc',
  kind: 'prio',
  feature: {
    name: 'prio',
    description: 'prio qdisc',
    kernelOption: 'CONFIG_NET_SCH_PRIO',
    fallback: 'htb classes',
  },
  parse(s: PrioSpec, c) {
    const bands = c.intOpt(s.bands, 'bands', 2, 16) ?? 3;
    const map: unknown = s.priomap ?? DEFAULT_PRIOMAP;
    const ok =
      Array.isArray(map) &&
      map.length === PRIOMAP_LEN &&
      map.every((b: unknown) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < bands);
    if (!ok) c.add('priomap', `invalid prio priomap: ${PRIOMAP_LEN} band numbers below ${bands} expected`);
    return { bands, priomap: ok ? (map as number[]) : [...DEFAULT_PRIOMAP] };
  },
  options: (p) => structPayload(TC_PRIO_QOPT, { bands: p.bands, priomap: p.priomap }),
  decode(options): PrioInfo {
    const q = decodeStruct(TC_PRIO_QOPT, options);
    return { bands: q.bands, priomap: q.priomap };
  },
});
