/**
 * police: a token bucket with verdicts for conforming and exceeding packets
 * (CONFIG_NET_ACT_POLICE). Encoded as tc encodes it, rate tables included (the kernel's police
 * still reads them).
 */
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { needsRate64, rateBytes, rateSpec, rateTable, xmitTicks } from '../ratespec.js';
import { TC_ACT, TC_RATESPEC } from '../tca.js';
import type { RateInput, SizeInput } from '../units.js';
import { VERDICT, verdictName, type TcVerdictName } from '../verdict.js';

/** struct tc_police. */
export const TC_POLICE = struct('tc_police', {
  index: 'u32',
  action: 's32',
  limit: 'u32',
  burst: 'u32',
  mtu: 'u32',
  rate: TC_RATESPEC,
  peakrate: TC_RATESPEC,
  refcnt: 's32',
  bindcnt: 's32',
  capab: 'u32',
});

/** police options (TCA_POLICE_*). */
export const TCA_POLICE = attrs('TCA_POLICE', {
  TBF: [1, TC_POLICE],
  RATE: [2, 'binary'],
  PEAKRATE: [3, 'binary'],
  AVRATE: [4, 'u32'],
  RESULT: [5, 'u32'],
  RATE64: [8, 'u64'],
  PEAKRATE64: [9, 'u64'],
});

/** A police action. */
export interface PoliceSpec {
  kind: 'police';
  rate: RateInput;
  burst: SizeInput;
  mtu?: SizeInput;
  /** Needs mtu. */
  peakrate?: RateInput;
  /** Verdict for conforming packets; default ok. */
  conform?: TcVerdictName;
  /** Verdict for exceeding packets; default drop. */
  exceed?: TcVerdictName;
}

/** A police action as the kernel reports it. */
export interface PoliceInfo {
  /** Bits per second. */
  rate: number;
  exceed: string;
  conform: string;
}

export default defineKind({
  object: 'action',
  kind: 'police',
  feature: {
    name: 'act_police',
    description: 'police action (rate limiting)',
    kernelOption: 'CONFIG_NET_ACT_POLICE',
    fallback: 'ifb + htb classes chosen by classid, or a token bucket in a BPF map',
  },
  parse(s: PoliceSpec, c) {
    const rate = rateBytes(c.rate(s.rate, 'rate'));
    const burst = c.size(s.burst, 'burst');
    const mtu = c.sizeOpt(s.mtu, 'mtu') ?? 0;
    const peak = rateBytes(c.rateOpt(s.peakrate, 'peakrate') ?? 0);
    if (s.peakrate !== undefined && s.mtu === undefined) c.add('peakrate', 'police peakrate needs an mtu');
    const exceed = VERDICT[c.verdict(s.exceed, 'exceed', 'drop')];
    const conform = VERDICT[c.verdict(s.conform, 'conform', 'ok')];
    return { rate, burst, mtu, peak, exceed, conform };
  },
  options(p) {
    const rtab = rateTable(p.rate, p.mtu);
    const ptab = p.peak ? rateTable(p.peak, p.mtu) : undefined;
    return nestPayload(TCA_POLICE, {
      TBF: {
        action: p.exceed,
        burst: xmitTicks(p.rate, p.burst),
        mtu: p.mtu,
        rate: rateSpec({ bytesPerSecond: p.rate, cellLog: rtab.cellLog }),
        peakrate: ptab ? rateSpec({ bytesPerSecond: p.peak, cellLog: ptab.cellLog }) : {},
      },
      RATE: rtab.table,
      PEAKRATE: ptab?.table,
      RATE64: needsRate64(p.rate) ? BigInt(p.rate) : undefined,
      // As tc: the conform verdict is sent only when it is not the default (ok).
      RESULT: p.conform === TC_ACT.OK ? undefined : p.conform >>> 0,
    });
  },
  decode(options): PoliceInfo {
    const a = decodeAttrs(TCA_POLICE, options);
    const bytes = a.RATE64 !== undefined ? Number(a.RATE64) : (a.TBF?.rate.rate ?? 0);
    return {
      rate: bytes * 8,
      exceed: verdictName(a.TBF?.action ?? TC_ACT.SHOT),
      conform: verdictName(a.RESULT === undefined ? TC_ACT.OK : a.RESULT | 0),
    };
  },
});
