/**
 * netem: delay, jitter and loss (CONFIG_NET_SCH_NETEM). Its options are a bare struct
 * tc_netem_qopt followed by TCA_NETEM_* attributes (not a nest).
 */
import { attrs, decodeMessage, message, messagePayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { usToTicks } from '../ratespec.js';
import type { TimeInput } from '../units.js';

/** struct tc_netem_qopt (latency and jitter in psched ticks). */
export const TC_NETEM_QOPT = struct('tc_netem_qopt', {
  latency: 'u32',
  limit: 'u32',
  loss: 'u32',
  gap: 'u32',
  duplicate: 'u32',
  jitter: 'u32',
});

/** netem attributes after the struct (TCA_NETEM_*). */
export const TCA_NETEM = attrs('TCA_NETEM', {
  CORR: [1, 'binary'],
  DELAY_DIST: [2, 'binary'],
  REORDER: [3, 'binary'],
  CORRUPT: [4, 'binary'],
  LOSS: [5, 'binary'],
  RATE: [6, 'binary'],
  ECN: [7, 'u32'],
  RATE64: [8, 'u64'],
  LATENCY64: [10, 's64'],
  JITTER64: [11, 's64'],
});

/** netem's options: the struct, then the attributes. */
const NETEM_OPTIONS = message('netem options', TC_NETEM_QOPT, TCA_NETEM);

/** Loss and duplication are fractions of 2^32-1. */
const PROBABILITY_ONE = 0xffffffff;

/** A netem qdisc. */
export interface NetemSpec {
  kind: 'netem';
  delay?: TimeInput;
  jitter?: TimeInput;
  /** Loss probability in percent (0-100). */
  loss?: number;
  /** Packets (default 1000). */
  limit?: number;
}

/** A netem qdisc as the kernel reports it. */
export interface NetemInfo {
  /** Microseconds. */
  delay: number;
  jitter: number;
  /** Percent. */
  loss: number;
  limit: number;
}

export default defineKind({
  object: 'qdisc',
  kind: 'netem',
  feature: {
    name: 'netem',
    description: 'netem qdisc (delay, loss)',
    kernelOption: 'CONFIG_NET_SCH_NETEM',
    fallback: 'none: delay and loss shaping raise NotSupportedError',
  },
  parse(s: NetemSpec, c) {
    const delay = c.timeOpt(s.delay, 'delay') ?? 0;
    const jitter = c.timeOpt(s.jitter, 'jitter') ?? 0;
    let loss = 0;
    if (s.loss !== undefined) {
      if (typeof s.loss !== 'number' || !(s.loss >= 0 && s.loss <= 100)) {
        c.add('loss', `invalid netem loss ${JSON.stringify(s.loss)}: 0-100 percent`);
      } else loss = s.loss;
    }
    const limit = c.intOpt(s.limit, 'limit', 1, 0xffffffff) ?? 1000;
    return { delay, jitter, loss, limit, precise: s.delay !== undefined };
  },
  options: (p) =>
    messagePayload(NETEM_OPTIONS, {
      header: {
        latency: usToTicks(p.delay),
        limit: p.limit,
        loss: Math.min(PROBABILITY_ONE, Math.round((p.loss / 100) * PROBABILITY_ONE)),
        jitter: usToTicks(p.jitter),
      },
      // the delay in nanoseconds as well: ticks of 64 ns lose precision
      attrs: { LATENCY64: p.precise ? BigInt(Math.round(p.delay * 1000)) : undefined },
    }),
  decode(options): NetemInfo {
    const { header, attrs: a } = decodeMessage(NETEM_OPTIONS, options);
    const delay = a.LATENCY64 !== undefined ? Number(a.LATENCY64) / 1000 : (header.latency * 64) / 1000;
    const jitter = a.JITTER64 !== undefined ? Number(a.JITTER64) / 1000 : (header.jitter * 64) / 1000;
    return { delay, jitter, loss: (header.loss / PROBABILITY_ONE) * 100, limit: header.limit };
  },
});
