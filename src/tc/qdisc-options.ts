/**
 * Typed qdisc options and their netlink encoding (TCA_KIND + TCA_OPTIONS). Pure: values are
 * parsed from tc-style strings here, at the edge, before anything reaches the kernel.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import { FEATURES, type FeatureName } from '../features/catalog.js';
import type { MessageBuilder } from '../netlink/message.js';
import { TCA } from './constants.js';
import { encodeHtbQdisc, encodeNetem, encodeTbf } from '../netlink/tc-qdisc.js';
import { rateBytes, usToTicks, xmitTicks } from '../netlink/tc-ratespec.js';
import {
  checkInteger,
  parseHandle,
  parseRate,
  parseSize,
  parseTime,
  type HandleInput,
  type RateInput,
  type SizeInput,
  type TimeInput,
} from '../netlink/tc-units.js';

/** Where a qdisc goes and what it is called. */
interface QdiscPlace {
  /** Parent: "root" (default for classful/shaping qdiscs) or a class such as "1:10". */
  parent?: HandleInput;
  /** The qdisc's handle, e.g. "1:" (the kernel picks one when omitted). */
  handle?: HandleInput;
}

/** clsact: the ingress and egress hooks for BPF filters (parent ffff:fff1, handle ffff:). */
export interface ClsactQdisc {
  kind: 'clsact';
}
/** ingress: the ingress hook only. */
export interface IngressQdisc {
  kind: 'ingress';
}
/** htb: hierarchical token bucket; add classes with addClass(). */
export interface HtbQdisc extends QdiscPlace {
  kind: 'htb';
  /** Minor of the class unclassified traffic goes to (e.g. 0x10 or "1:10"); 0 = sent unshaped. */
  defaultClass?: HandleInput;
  /** Rate-to-quantum divisor (tc's r2q), default 10. */
  r2q?: number;
}
/** tbf: one token bucket. */
export interface TbfQdisc extends QdiscPlace {
  kind: 'tbf';
  rate: RateInput;
  burst: SizeInput;
  /** Queue length in bytes; or give latency. Default: 50 ms worth of the rate plus burst. */
  limit?: SizeInput;
  latency?: TimeInput;
  mtu?: SizeInput;
  peakrate?: RateInput;
}
/** sfq: stochastic fairness queueing (CONFIG_NET_SCH_SFQ). */
export interface SfqQdisc extends QdiscPlace {
  kind: 'sfq';
  /** Seconds between hash perturbations. */
  perturb?: number;
  quantum?: SizeInput;
  /** Packets. */
  limit?: number;
}
/** prio: strict priority bands (CONFIG_NET_SCH_PRIO). */
export interface PrioQdisc extends QdiscPlace {
  kind: 'prio';
  bands?: number;
  /** 16 band numbers indexed by skb priority. */
  priomap?: number[];
}
/** fq_codel (CONFIG_NET_SCH_FQ_CODEL). */
export interface FqCodelQdisc extends QdiscPlace {
  kind: 'fq_codel';
  /** Packets. */
  limit?: number;
  target?: TimeInput;
  interval?: TimeInput;
  flows?: number;
  ecn?: boolean;
}
/** netem: delay and loss (CONFIG_NET_SCH_NETEM). */
export interface NetemQdisc extends QdiscPlace {
  kind: 'netem';
  delay?: TimeInput;
  jitter?: TimeInput;
  /** Loss probability in percent (0-100). */
  loss?: number;
  /** Packets. */
  limit?: number;
}

/** Every qdisc tsbcc can create. */
export type QdiscSpec =
  ClsactQdisc | IngressQdisc | HtbQdisc | TbfQdisc | SfqQdisc | PrioQdisc | FqCodelQdisc | NetemQdisc;

/** A qdisc spec with every value parsed: ready to encode. */
export interface EncodedQdisc {
  kind: QdiscSpec['kind'];
  handle: number;
  parent: number;
  /** Adds TCA_KIND and TCA_OPTIONS. */
  encode(m: MessageBuilder): void;
}

/** The NotSupportedError for a tc kind the kernel does not have. */
export function notSupported(feature: FeatureName): NotSupportedError {
  const info = FEATURES.find((f) => f.name === feature);
  return new NotSupportedError(
    info ? `${info.description} (${feature})` : feature,
    info?.kernelOption,
    info ? `without it tsbcc offers: ${info.fallback}` : undefined,
  );
}

const TCA_FQ_CODEL = { TARGET: 1, LIMIT: 2, INTERVAL: 3, ECN: 4, FLOWS: 5 } as const;

function minorOf(h: HandleInput | undefined, what: string): number {
  if (h === undefined) return 0;
  const v = typeof h === 'number' ? h : parseHandle(h.includes(':') ? h : `:${h}`, what);
  if (v > 0xffff && (v & 0xffff) === 0) throw new InvalidArgumentError(`invalid ${what} "${h}": no minor`);
  return v & 0xffff;
}

/**
 * Parses a qdisc spec (tc strings into numbers) and returns its encoder.
 * @throws InvalidArgumentError for a bad rate, size, time or handle, naming the field.
 */
export function encodeQdisc(spec: QdiscSpec): EncodedQdisc {
  switch (spec.kind) {
    case 'clsact':
    case 'ingress':
      return {
        kind: spec.kind,
        handle: 0xffff0000,
        parent: 0xfffffff1,
        encode: (m) => m.str(TCA.KIND, spec.kind),
      };
    case 'htb': {
      const defcls = minorOf(spec.defaultClass, 'htb defaultClass');
      const r2q = checkInteger(spec.r2q ?? 10, 'htb r2q', 1);
      return place(spec, 0x10000, (m) => encodeHtbQdisc(m, { r2q, defaultClass: defcls, directQlen: 1000 }));
    }
    case 'tbf': {
      const rate = parseRate(spec.rate, 'tbf rate');
      const burst = parseSize(spec.burst, 'tbf burst');
      const bytes = rateBytes(rate);
      checkInteger(burst, 'tbf burst (bytes)', 1);
      const mtu =
        spec.mtu === undefined ? 0 : checkInteger(parseSize(spec.mtu, 'tbf mtu'), 'tbf mtu (bytes)');
      const latencyUs = spec.latency === undefined ? 50_000 : parseTime(spec.latency, 'tbf latency');
      const limit = checkInteger(
        spec.limit !== undefined
          ? parseSize(spec.limit, 'tbf limit')
          : Math.round((bytes * latencyUs) / 1e6) + burst,
        'tbf limit (bytes)',
      );
      const peak = spec.peakrate === undefined ? 0 : rateBytes(parseRate(spec.peakrate, 'tbf peakrate'));
      return place(spec, 0x10000, (m) =>
        encodeTbf(m, {
          rate: { bytesPerSecond: bytes },
          peak: peak ? { bytesPerSecond: peak } : undefined,
          limit,
          buffer: xmitTicks(bytes, burst),
          mtu: mtu ? xmitTicks(peak || bytes, mtu) : 0,
          burst,
        }),
      );
    }
    case 'sfq': {
      const quantum = spec.quantum === undefined ? 0 : parseSize(spec.quantum, 'sfq quantum');
      checkInteger(quantum, 'sfq quantum (bytes)');
      const perturb = checkInteger(spec.perturb ?? 0, 'sfq perturb (seconds)', 0, 0x7fffffff);
      const limit = checkInteger(spec.limit ?? 0, 'sfq limit (packets)');
      return place(spec, 0, (m) => {
        const q = Buffer.alloc(20);
        q.writeUInt32LE(quantum, 0);
        q.writeInt32LE(perturb, 4);
        q.writeUInt32LE(limit, 8);
        m.str(TCA.KIND, 'sfq').attr(TCA.OPTIONS, q);
      });
    }
    case 'prio': {
      const bands = checkInteger(spec.bands ?? 3, 'prio bands', 2, 16);
      const map = spec.priomap ?? [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
      if (
        !Array.isArray(map) ||
        map.length !== 16 ||
        map.some((b) => !Number.isInteger(b) || b < 0 || b >= bands)
      ) {
        throw new InvalidArgumentError(`invalid prio priomap: 16 band numbers below ${bands} expected`);
      }
      return place(spec, 0, (m) => {
        const q = Buffer.alloc(20);
        q.writeInt32LE(bands, 0);
        map.forEach((b, i) => q.writeUInt8(b, 4 + i));
        m.str(TCA.KIND, 'prio').attr(TCA.OPTIONS, q);
      });
    }
    case 'fq_codel': {
      const us = (t: TimeInput, what: string): number => checkInteger(Math.round(parseTime(t, what)), what);
      const target = spec.target === undefined ? undefined : us(spec.target, 'fq_codel target (us)');
      const interval = spec.interval === undefined ? undefined : us(spec.interval, 'fq_codel interval (us)');
      if (spec.limit !== undefined) checkInteger(spec.limit, 'fq_codel limit (packets)');
      if (spec.flows !== undefined) checkInteger(spec.flows, 'fq_codel flows', 1);
      return place(spec, 0, (m) =>
        m.str(TCA.KIND, 'fq_codel').nest(TCA.OPTIONS, (o) => {
          if (spec.limit !== undefined) o.u32(TCA_FQ_CODEL.LIMIT, spec.limit);
          if (target !== undefined) o.u32(TCA_FQ_CODEL.TARGET, target);
          if (interval !== undefined) o.u32(TCA_FQ_CODEL.INTERVAL, interval);
          if (spec.flows !== undefined) o.u32(TCA_FQ_CODEL.FLOWS, spec.flows);
          if (spec.ecn !== undefined) o.u32(TCA_FQ_CODEL.ECN, spec.ecn ? 1 : 0);
        }),
      );
    }
    case 'netem': {
      const delay = spec.delay === undefined ? 0 : parseTime(spec.delay, 'netem delay');
      const jitter = spec.jitter === undefined ? 0 : parseTime(spec.jitter, 'netem jitter');
      const loss = spec.loss ?? 0;
      if (typeof loss !== 'number' || !(loss >= 0 && loss <= 100)) {
        throw new InvalidArgumentError(`invalid netem loss ${String(loss)}: 0-100 percent`);
      }
      checkInteger(spec.limit ?? 1000, 'netem limit (packets)');
      return place(spec, 0, (m) =>
        encodeNetem(m, {
          latency: usToTicks(delay),
          limit: spec.limit ?? 1000,
          loss: loss / 100,
          jitter: usToTicks(jitter),
        }),
      );
    }
    default:
      throw new InvalidArgumentError(`unknown qdisc kind "${String((spec as { kind: unknown }).kind)}"`);
  }
}

function place(
  spec: QdiscPlace & { kind: QdiscSpec['kind'] },
  defaultHandle: number,
  encode: (m: MessageBuilder) => void,
): EncodedQdisc {
  const handle = spec.handle === undefined ? defaultHandle : parseHandle(spec.handle, `${spec.kind} handle`);
  if (handle & 0xffff) {
    throw new InvalidArgumentError(
      `invalid ${spec.kind} handle "${String(spec.handle)}": a qdisc handle has no minor (e.g. "1:")`,
    );
  }
  const parent = spec.parent === undefined ? 0xffffffff : parseHandle(spec.parent, `${spec.kind} parent`);
  return { kind: spec.kind, handle, parent, encode };
}

/** The feature name of each qdisc kind (for NotSupportedError). */
export const QDISC_FEATURE: Record<QdiscSpec['kind'], FeatureName> = {
  clsact: 'clsact',
  ingress: 'ingress',
  htb: 'htb',
  tbf: 'tbf',
  sfq: 'sfq',
  prio: 'prio',
  fq_codel: 'fq_codel',
  netem: 'netem',
};
