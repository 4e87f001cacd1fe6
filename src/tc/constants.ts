/** tc and rtnetlink constants (linux/rtnetlink.h, linux/pkt_sched.h, linux/pkt_cls.h, tc_act/*.h). */

/** rtnetlink message types: shared with src/netlink and src/topology. */
export { RTM } from '../netlink/link.js';

/** Top-level tc attributes (TCA_*) and special handles: shared with src/topology. */
export { TCA, TC_H } from '../netlink/tc-qdisc.js';

/** The parent a filter gets for the clsact/ingress hooks (ffff:fff2 and ffff:fff3). */
export const PARENT_INGRESS = 0xfffffff2;
export const PARENT_EGRESS = 0xfffffff3;

/** cls_bpf attributes (TCA_BPF_*). */
export const TCA_BPF = {
  ACT: 1,
  POLICE: 2,
  CLASSID: 3,
  FD: 6,
  NAME: 7,
  FLAGS: 8,
  FLAGS_GEN: 9,
  TAG: 10,
  ID: 11,
} as const;

/** TCA_BPF_FLAG_ACT_DIRECT: the program's return value is the verdict. */
export const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** Action attributes inside TCA_BPF_ACT (TCA_ACT_*). */
export const TCA_ACT = { KIND: 1, OPTIONS: 2, INDEX: 3 } as const;

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

/** Ethernet protocols (host order). */
export const ETH_P = { ALL: 0x0003, IP: 0x0800, IPV6: 0x86dd, ARP: 0x0806, P_8021Q: 0x8100 } as const;

/** Link attributes (IFLA_*) tc and XDP use. */
export const IFLA = {
  IFNAME: 3,
  MTU: 4,
  LINKINFO: 18,
  XDP: 43,
} as const;

/** IFLA_LINKINFO children. */
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;

/** Every tsbcc cls_bpf filter's name starts with this, so `tsbcc tc ls/clean` find only ours. */
export const TSBCC_FILTER_PREFIX = 'tsbcc:';
