/**
 * The rtnetlink vocabulary shared by every family (linux/rtnetlink.h, linux/if.h): message
 * types, the fixed headers of links, addresses, routes and tc objects, and their flag and enum
 * values. Declarations only; the attribute sets live in ifla.ts, ifa.ts, rta.ts and tc/tca.ts.
 */
import { struct } from './schema.js';

/** rtnetlink message types (RTM_*). */
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWQDISC: 36,
  DELQDISC: 37,
  GETQDISC: 38,
  NEWTCLASS: 40,
  DELTCLASS: 41,
  GETTCLASS: 42,
  NEWTFILTER: 44,
  DELTFILTER: 45,
  GETTFILTER: 46,
  NEWACTION: 48,
  DELACTION: 49,
  GETACTION: 50,
} as const;

/** Address families (AF_*). */
export const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;

/** struct ifinfomsg: the header of link messages. */
export const IFINFOMSG = struct('ifinfomsg', {
  ifi_family: 'u8',
  __ifi_pad: 'u8',
  ifi_type: 'u16',
  ifi_index: 's32',
  ifi_flags: 'u32',
  ifi_change: 'u32',
});

/** Device flags (IFF_*, linux/if.h). */
export const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, RUNNING: 0x40, LOWER_UP: 0x10000 } as const;

/** struct ifaddrmsg: the header of address messages. */
export const IFADDRMSG = struct('ifaddrmsg', {
  ifa_family: 'u8',
  ifa_prefixlen: 'u8',
  ifa_flags: 'u8',
  ifa_scope: 'u8',
  ifa_index: 'u32',
});

/** struct rtmsg: the header of route messages. */
export const RTMSG = struct('rtmsg', {
  rtm_family: 'u8',
  rtm_dst_len: 'u8',
  rtm_src_len: 'u8',
  rtm_tos: 'u8',
  rtm_table: 'u8',
  rtm_protocol: 'u8',
  rtm_scope: 'u8',
  rtm_type: 'u8',
  rtm_flags: 'u32',
});

/** Route tables (RT_TABLE_*). */
export const RT_TABLE = { UNSPEC: 0, MAIN: 254, LOCAL: 255 } as const;
/** Who installed a route (RTPROT_*). */
export const RTPROT = { UNSPEC: 0, KERNEL: 2, BOOT: 3, STATIC: 4 } as const;
/** Route scopes (RT_SCOPE_*). */
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254 } as const;
/** Route types (RTN_*). */
export const RTN = { UNICAST: 1, LOCAL: 2 } as const;

/** struct tcmsg: the header of qdisc, class and filter messages. */
export const TCMSG = struct('tcmsg', {
  tcm_family: 'u8',
  tcm__pad1: 'u8',
  tcm__pad2: 'u16',
  tcm_ifindex: 's32',
  tcm_handle: 'u32',
  tcm_parent: 'u32',
  /** For filters: priority << 16 | protocol in network order. */
  tcm_info: 'u32',
});

/** struct tcamsg: the header of tc action messages (RTM_*ACTION). */
export const TCAMSG = struct('tcamsg', { tca_family: 'u8', tca__pad1: 'u8', tca__pad2: 'u16' });
