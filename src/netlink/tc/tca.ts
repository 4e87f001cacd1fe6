/**
 * The tc vocabulary shared by every qdisc, class, filter and action kind (linux/pkt_sched.h,
 * linux/pkt_cls.h): the top-level TCA_* attributes, tc handles (TC_H), verdicts (TC_ACT),
 * the action attributes (TCA_ACT_*), struct tc_ratespec and the message schemas. Declarations
 * and the handle arithmetic only; each kind's options live in its own file under ./qdisc,
 * ./class, ./filter and ./action.
 */
import { attrs, listOf, message, struct } from '../schema.js';
import { TCAMSG, TCMSG } from '../rtnetlink.js';

/** Top-level tc attributes (TCA_*). TCA_OPTIONS' schema depends on TCA_KIND. */
export const TCA = attrs('TCA', {
  KIND: [1, 'string'],
  OPTIONS: [2, 'payload'],
  STATS: [3, 'binary'],
  XSTATS: [4, 'payload'],
  RATE: [5, 'binary'],
  STATS2: [7, 'binary'],
  CHAIN: [11, 'u32'],
  INGRESS_BLOCK: [13, 'u32'],
  EGRESS_BLOCK: [14, 'u32'],
});

/** A qdisc, class or filter message body: struct tcmsg + TCA attributes. */
export const TC_MSG = message('tc', TCMSG, TCA);

/** Special handles (TC_H_*). */
export const TC_H = {
  ROOT: 0xffffffff,
  /** The ingress/clsact qdisc's parent (TC_H_INGRESS = TC_H_CLSACT). */
  CLSACT: 0xfffffff1,
  INGRESS: 0xfffffff1,
  MIN_INGRESS: 0xfff2,
  MIN_EGRESS: 0xfff3,
  UNSPEC: 0,
} as const;

/** TC_H_MAKE(major, minor): a handle from its 16-bit major (already shifted) and minor. */
export function tcHandle(major: number, minor: number): number {
  return ((major & 0xffff0000) | (minor & 0xffff)) >>> 0;
}
/** TC_H_MAJ: the major part (upper 16 bits, still in place). */
export const tcMajor = (h: number): number => (h & 0xffff0000) >>> 0;
/** TC_H_MIN: the minor part. */
export const tcMinor = (h: number): number => h & 0xffff;

/** The handle of the clsact/ingress qdisc itself (ffff:). */
export const HOOK_QDISC_HANDLE = 0xffff0000;
/** The parent a filter gets on the clsact ingress hook (ffff:fff2). */
export const PARENT_INGRESS = tcHandle(TC_H.CLSACT, TC_H.MIN_INGRESS);
/** The parent a filter gets on the clsact egress hook (ffff:fff3). */
export const PARENT_EGRESS = tcHandle(TC_H.CLSACT, TC_H.MIN_EGRESS);

/** tc verdicts (TC_ACT_*). */
export const TC_ACT = {
  UNSPEC: -1,
  OK: 0,
  RECLASSIFY: 1,
  SHOT: 2,
  PIPE: 3,
  STOLEN: 4,
  QUEUED: 5,
  REPEAT: 6,
  REDIRECT: 7,
  TRAP: 8,
} as const;

/** Ethernet protocols (ETH_P_*, host order). */
export const ETH_P = { ALL: 0x0003, IP: 0x0800, ARP: 0x0806, '8021Q': 0x8100, IPV6: 0x86dd } as const;

/** One action (TCA_ACT_*). TCA_ACT_OPTIONS' schema depends on TCA_ACT_KIND. */
export const TCA_ACT = attrs('TCA_ACT', {
  KIND: [1, 'string'],
  OPTIONS: [2, 'payload'],
  INDEX: [3, 'u32'],
  STATS: [4, 'binary'],
  COOKIE: [6, 'binary'],
});

/** Actions in order: a nest whose attribute ids are the positions 1, 2, ... */
export const ACTION_LIST = listOf(TCA_ACT);

/** RTM_*ACTION bodies: struct tcamsg + TCA_ACT_TAB (the root attributes of linux/rtnetlink.h). */
export const TCA_ROOT = attrs('TCA_ROOT', { TAB: [1, ACTION_LIST] });

/** An action message body. */
export const ACTION_MSG = message('tc action', TCAMSG, TCA_ROOT);

/** struct tc_ratespec. */
export const TC_RATESPEC = struct('tc_ratespec', {
  cell_log: 'u8',
  linklayer: 'u8',
  overhead: 'u16',
  cell_align: 's16',
  mpu: 'u16',
  rate: 'u32',
});

/** The generic part every action's parameter struct starts with (tc_gen). */
export const TC_GEN = {
  index: 'u32',
  capab: 'u32',
  action: 's32',
  refcnt: 's32',
  bindcnt: 's32',
} as const;
