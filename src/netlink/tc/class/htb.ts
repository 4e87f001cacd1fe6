/** An htb class: a guaranteed rate and a ceiling it may borrow up to, under an htb qdisc. */
import { decodeAttrs, nestPayload } from '../../schema.js';
import { defineKind } from '../kind.js';
import { HTB_FEATURE, TCA_HTB } from '../qdisc/htb.js';
import { needsRate64, rateBytes, rateSpec, xmitTicks } from '../ratespec.js';
import { formatRate, type RateInput, type SizeInput } from '../units.js';

/** An htb class's options (its id and parent are the class's place). */
export interface HtbClassSpec {
  kind: 'htb';
  /** Guaranteed rate. */
  rate: RateInput;
  /** Ceiling it may borrow up to (default = rate). */
  ceil?: RateInput;
  /** Bytes that may be sent at once at the rate (default rate/1000 + 1600 bytes, as tc). */
  burst?: SizeInput;
  /** Bytes at the ceiling (default ceil/1000 + 1600). */
  cburst?: SizeInput;
  /** Priority for borrowing (0 highest). */
  prio?: number;
  /** Bytes dequeued per round (default: the kernel derives it from r2q). */
  quantum?: SizeInput;
}

/** An htb class as the kernel reports it. */
export interface HtbClassInfo {
  /** Bits per second. */
  rate: number;
  ceil: number;
  prio: number;
}

export default defineKind({
  object: 'class',
  kind: 'htb',
  feature: HTB_FEATURE,
  parse(s: HtbClassSpec, c) {
    const rateBits = c.rate(s.rate, 'rate');
    const ceilBits = c.rateOpt(s.ceil, 'ceil') ?? rateBits;
    if (ceilBits < rateBits)
      c.add('ceil', `htb ceil ${formatRate(ceilBits)} is below its rate ${formatRate(rateBits)}`);
    const rate = rateBytes(rateBits);
    const ceil = rateBytes(ceilBits);
    const burst = c.sizeOpt(s.burst, 'burst') ?? Math.round(rate / 1000) + 1600;
    const cburst = c.sizeOpt(s.cburst, 'cburst') ?? Math.round(ceil / 1000) + 1600;
    const quantum = c.sizeOpt(s.quantum, 'quantum') ?? 0;
    const prio = c.intOpt(s.prio, 'prio', 0, 7) ?? 0;
    return { rate, ceil, burst, cburst, quantum, prio };
  },
  options: (p) =>
    nestPayload(TCA_HTB, {
      PARMS: {
        rate: rateSpec({ bytesPerSecond: p.rate }),
        ceil: rateSpec({ bytesPerSecond: p.ceil }),
        buffer: xmitTicks(p.rate, p.burst),
        cbuffer: xmitTicks(p.ceil, p.cburst),
        quantum: p.quantum,
        prio: p.prio,
      },
      RATE64: needsRate64(p.rate) ? BigInt(p.rate) : undefined,
      CEIL64: needsRate64(p.ceil) ? BigInt(p.ceil) : undefined,
    }),
  decode(options): HtbClassInfo {
    const a = decodeAttrs(TCA_HTB, options);
    const rate = a.RATE64 !== undefined ? Number(a.RATE64) : (a.PARMS?.rate.rate ?? 0);
    const ceil = a.CEIL64 !== undefined ? Number(a.CEIL64) : (a.PARMS?.ceil.rate ?? 0);
    return { rate: rate * 8, ceil: ceil * 8, prio: a.PARMS?.prio ?? 0 };
  },
});
