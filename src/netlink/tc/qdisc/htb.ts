/** htb: hierarchical token bucket qdisc (CONFIG_NET_SCH_HTB); its classes are class/htb.ts. */
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { TC_RATESPEC } from '../tca.js';
import type { HandleInput } from '../units.js';

/** struct tc_htb_glob. */
export const TC_HTB_GLOB = struct('tc_htb_glob', {
  version: 'u32',
  rate2quantum: 'u32',
  defcls: 'u32',
  debug: 'u32',
  direct_pkts: 'u32',
});

/** struct tc_htb_opt (a class's parameters). */
export const TC_HTB_OPT = struct('tc_htb_opt', {
  rate: TC_RATESPEC,
  ceil: TC_RATESPEC,
  buffer: 'u32',
  cbuffer: 'u32',
  quantum: 'u32',
  level: 'u32',
  prio: 'u32',
});

/** htb options (TCA_HTB_*), of the qdisc and of its classes. */
export const TCA_HTB = attrs('TCA_HTB', {
  PARMS: [1, TC_HTB_OPT],
  INIT: [2, TC_HTB_GLOB],
  CTAB: [3, 'binary'],
  RTAB: [4, 'binary'],
  DIRECT_QLEN: [5, 'u32'],
  RATE64: [6, 'u64'],
  CEIL64: [7, 'u64'],
});

/** The htb version tc speaks (TC_HTB_PROTOVER). */
const TC_HTB_PROTOVER = 3;

/** An htb qdisc; add classes (class/htb.ts) under its handle. */
export interface HtbSpec {
  kind: 'htb';
  /** Minor of the class unclassified traffic goes to (e.g. 0x10 or "1:10"); 0 = sent unshaped. */
  defaultClass?: HandleInput;
  /** Rate-to-quantum divisor (tc's r2q), default 10. */
  r2q?: number;
  /** Packets the direct queue (unclassified traffic without a default class) holds; default 1000. */
  directQlen?: number;
}

/** An htb qdisc as the kernel reports it. */
export interface HtbInfo {
  /** Minor of the default class. */
  defaultClass: number;
  r2q: number;
  directQlen?: number;
}

/** The kernel feature htb qdiscs and their classes need (one module: sch_htb). */
export const HTB_FEATURE = {
  name: 'htb',
  description: 'HTB qdisc',
  kernelOption: 'CONFIG_NET_SCH_HTB',
  fallback: 'tbf for a single rate',
} as const;

export default defineKind({
  object: 'qdisc',
  kind: 'htb',
  feature: HTB_FEATURE,
  defaultHandle: 0x10000,
  parse(s: HtbSpec, c) {
    let defaultClass = 0;
    if (s.defaultClass !== undefined) {
      // a bare minor ("10", 0x10) or a class id ("1:10"), in hex as tc writes it
      const h =
        typeof s.defaultClass === 'string' && !s.defaultClass.includes(':')
          ? `:${s.defaultClass}`
          : s.defaultClass;
      const v = c.handleOpt(h, 'defaultClass') ?? 0;
      if (v > 0xffff && (v & 0xffff) === 0)
        c.add('defaultClass', `invalid htb defaultClass "${String(s.defaultClass)}": no minor`);
      defaultClass = v & 0xffff;
    }
    const r2q = c.intOpt(s.r2q, 'r2q', 1, 0xffffffff) ?? 10;
    const directQlen = c.intOpt(s.directQlen, 'directQlen', 0, 0xffffffff) ?? 1000;
    return { defaultClass, r2q, directQlen };
  },
  options: (p) =>
    nestPayload(TCA_HTB, {
      INIT: { version: TC_HTB_PROTOVER, rate2quantum: p.r2q, defcls: p.defaultClass },
      DIRECT_QLEN: p.directQlen,
    }),
  decode(options): HtbInfo {
    const a = decodeAttrs(TCA_HTB, options);
    const info: HtbInfo = { defaultClass: a.INIT?.defcls ?? 0, r2q: a.INIT?.rate2quantum ?? 0 };
    if (a.DIRECT_QLEN !== undefined) info.directQlen = a.DIRECT_QLEN;
    return info;
  },
});
