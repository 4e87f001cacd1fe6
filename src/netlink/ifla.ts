/**
 * Link attributes (IFLA_*, linux/if_link.h) as schemas: the top-level set, IFLA_LINKINFO with
 * the per-kind IFLA_INFO_DATA sets tsbcc uses (veth, bridge, vxlan, vlan) and IFLA_XDP.
 * Declarations only.
 */
import { attrs, message } from './schema.js';
import { IFINFOMSG } from './rtnetlink.js';

/** IFLA_LINKINFO. IFLA_INFO_DATA's schema depends on the kind (see {@link LINK_INFO_DATA}). */
export const IFLA_INFO = attrs('IFLA_INFO', {
  KIND: [1, 'string'],
  DATA: [2, 'payload'],
  SLAVE_KIND: [4, 'string'],
});

/** IFLA_XDP. */
export const IFLA_XDP = attrs('IFLA_XDP', {
  FD: [1, 's32'],
  ATTACHED: [2, 'u8'],
  FLAGS: [3, 'u32'],
  PROG_ID: [4, 'u32'],
  DRV_PROG_ID: [5, 'u32'],
  SKB_PROG_ID: [6, 'u32'],
  HW_PROG_ID: [7, 'u32'],
  EXPECTED_FD: [8, 's32'],
});

/** XDP attach flags (XDP_FLAGS_*). */
export const XDP_FLAGS = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;
/** IFLA_XDP_ATTACHED values (XDP_ATTACHED_*), by value. */
export const XDP_ATTACHED = ['none', 'native', 'generic', 'offload', 'multi'] as const;

/** Link attributes (IFLA_*). */
export const IFLA = attrs('IFLA', {
  ADDRESS: [1, 'mac'],
  BROADCAST: [2, 'mac'],
  IFNAME: [3, 'string'],
  MTU: [4, 'u32'],
  LINK: [5, 'u32'],
  QDISC: [6, 'string'],
  MASTER: [10, 'u32'],
  TXQLEN: [13, 'u32'],
  OPERSTATE: [16, 'u8'],
  LINKINFO: [18, IFLA_INFO],
  NET_NS_PID: [19, 'u32'],
  GROUP: [27, 'u32'],
  NET_NS_FD: [28, 'u32'],
  PROMISCUITY: [30, 'u32'],
  NUM_TX_QUEUES: [31, 'u32'],
  NUM_RX_QUEUES: [32, 'u32'],
  CARRIER: [33, 'u8'],
  LINK_NETNSID: [37, 's32'],
  XDP: [43, IFLA_XDP],
  NEW_IFINDEX: [49, 's32'],
  MIN_MTU: [50, 'u32'],
  MAX_MTU: [51, 'u32'],
});

/** A link message body as it nests in VETH_INFO_PEER: ifinfomsg + IFLA attributes. */
export const VETH_PEER = message('veth peer', IFINFOMSG, IFLA);

/** IFLA_INFO_DATA of a veth. */
export const VETH_INFO = attrs('VETH_INFO', { PEER: [1, VETH_PEER, { nested: true }] });

/** IFLA_INFO_DATA of a bridge (the attributes tsbcc sets). */
export const IFLA_BR = attrs('IFLA_BR', {
  FORWARD_DELAY: [1, 'u32'],
  STP_STATE: [5, 'u32'],
  VLAN_FILTERING: [7, 'u8'],
});

/** IFLA_INFO_DATA of a vxlan device. */
export const IFLA_VXLAN = attrs('IFLA_VXLAN', {
  ID: [1, 'u32'],
  GROUP: [2, 'ip'],
  LINK: [3, 'u32'],
  LOCAL: [4, 'ip'],
  TTL: [5, 'u8'],
  TOS: [6, 'u8'],
  LEARNING: [7, 'u8'],
  AGEING: [8, 'u32'],
  PORT: [15, 'be16'],
  GROUP6: [16, 'ip'],
  LOCAL6: [17, 'ip'],
  UDP_CSUM: [18, 'u8'],
  COLLECT_METADATA: [25, 'u8'],
});

/** IFLA_INFO_DATA of a vlan device. */
export const IFLA_VLAN = attrs('IFLA_VLAN', { ID: [1, 'u16'] });

/** IFLA_INFO_DATA's schema by IFLA_INFO_KIND (kinds absent here take no data from tsbcc). */
export const LINK_INFO_DATA = {
  veth: VETH_INFO,
  bridge: IFLA_BR,
  vxlan: IFLA_VXLAN,
  vlan: IFLA_VLAN,
} as const;

/** A link message body: struct ifinfomsg + IFLA attributes. */
export const LINK_MSG = message('link', IFINFOMSG, IFLA);
