/** tbf: one token bucket (CONFIG_NET_SCH_TBF), options struct tc_tbf_qopt + TCA_TBF_*. */
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { needsRate64, rateBytes, rateSpec, xmitTicks } from '../ratespec.js';
import { TC_RATESPEC } from '../tca.js';
import type { RateInput, SizeInput, TimeInput } from '../units.js';

/** struct tc_tbf_qopt. */
export const TC_TBF_QOPT = struct('tc_tbf_qopt', {
  rate: TC_RATESPEC,
  peakrate: TC_RATESPEC,
  limit: 'u32',
  buffer: 'u32',
  mtu: 'u32',
});

/** tbf options (TCA_TBF_*). */
export const TCA_TBF = attrs('TCA_TBF', {
  PARMS: [1, TC_TBF_QOPT],
  RTAB: [2, 'binary'],
  PTAB: [3, 'binary'],
  RATE64: [4, 'u64'],
  PRATE64: [5, 'u64'],
  BURST: [6, 'u32'],
  PBURST: [7, 'u32'],
});

/** A tbf qdisc. */
export interface TbfSpec {
  kind: 'tbf';
  rate: RateInput;
  /** Bucket size. */
  burst: SizeInput;
  /** Queue length in bytes; or give latency. Default: latency (50 ms) worth of the rate plus burst. */
  limit?: SizeInput;
  latency?: TimeInput;
  mtu?: SizeInput;
  peakrate?: RateInput;
}

/** A tbf qdisc as the kernel reports it. */
export interface TbfInfo {
  /** Bits per second. */
  rate: number;
  /** Bucket bytes. */
  burst: number;
  /** Queue bytes. */
  limit: number;
}

export default defineKind({
  object: 'qdisc',
  kind: 'tbf',
  feature: {
    name: 'tbf',
    description: 'token bucket filter qdisc',
    kernelOption: 'CONFIG_NET_SCH_TBF',
    fallback: 'htb with one class',
  },
  defaultHandle: 0x10000,
  parse(s: TbfSpec, c) {
    const rate = rateBytes(c.rate(s.rate, 'rate'));
    const burst = c.size(s.burst, 'burst');
    const mtu = c.sizeOpt(s.mtu, 'mtu') ?? 0;
    const latencyUs = c.timeOpt(s.latency, 'latency') ?? 50_000;
    const limit = c.sizeOpt(s.limit, 'limit') ?? Math.round((rate * latencyUs) / 1e6) + burst;
    const peak = rateBytes(c.rateOpt(s.peakrate, 'peakrate') ?? 0);
    if (peak && !mtu) c.add('peakrate', 'tbf peakrate needs an mtu');
    return { rate, burst, mtu, limit, peak };
  },
  options: (p) =>
    nestPayload(TCA_TBF, {
      PARMS: {
        rate: rateSpec({ bytesPerSecond: p.rate }),
        peakrate: p.peak ? rateSpec({ bytesPerSecond: p.peak }) : {},
        limit: p.limit,
        buffer: xmitTicks(p.rate, p.burst),
        mtu: p.mtu ? xmitTicks(p.peak || p.rate, p.mtu) : 0,
      },
      RATE64: needsRate64(p.rate) ? BigInt(p.rate) : undefined,
      PRATE64: needsRate64(p.peak) ? BigInt(p.peak) : undefined,
      BURST: p.burst,
    }),
  decode(options): TbfInfo {
    const a = decodeAttrs(TCA_TBF, options);
    const bytes = a.RATE64 !== undefined ? Number(a.RATE64) : (a.PARMS?.rate.rate ?? 0);
    return { rate: bytes * 8, burst: a.BURST ?? 0, limit: a.PARMS?.limit ?? 0 };
  },
});
