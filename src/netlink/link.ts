/**
 * rtnetlink link messages (RTM_NEWLINK/SETLINK/DELLINK/GETLINK): veth pairs (peer possibly in
 * another namespace), bridges, vxlan devices and ifb devices, as typed options. Builders are
 * pure; send them with a {@link NetlinkSocket}.
 */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { IFLA, LINK_INFO_DATA, LINK_MSG } from './ifla.js';
import { buildMessage, REQUEST, type NetlinkMessage } from './message.js';
import { IFF, RTM } from './rtnetlink.js';
import { decodeMessage, nestPayload, type AttrsIn } from './schema.js';
import type { NetlinkRequest, NetlinkSocket } from './socket.js';

/** rtnetlink message types: defined in ./rtnetlink.ts. */
export { RTM };

/** IFF_UP and IFF_LOWER_UP (linux/if.h). */
export const IFF_UP = IFF.UP;
export const IFF_LOWER_UP = IFF.LOWER_UP;

/** Settings every new device may take. */
export interface LinkCommon {
  /** Interface name (1-15 bytes). */
  name: string;
  /** Requested ifindex (0 / absent: the kernel picks). */
  index?: number;
  mtu?: number;
  /** MAC address `aa:bb:...`. */
  mac?: string;
  /** ifindex of the bridge to enslave to (same namespace). */
  master?: number;
  /** Bring the device up on creation. */
  up?: boolean;
  /**
   * Transmit queues to allocate (IFLA_NUM_TX_QUEUES; absent: the driver's default). For a veth
   * end, 1 skips the kernel's reduction of the real queue count after registration, which waits
   * for an RCU grace period under the rtnl lock (~0.3 ms per end); the end then cannot be given
   * more queues later (`ethtool -L`).
   */
  txQueues?: number;
}

/**
 * The far end of a veth pair. It cannot be brought up in the creating request (the kernel
 * opens it before the pair is joined and answers ENOTCONN): set it up afterwards.
 */
export interface VethPeer extends Omit<LinkCommon, 'master' | 'up'> {
  /** An open fd of the namespace the peer goes to (absent: same namespace). */
  nsFd?: number;
  master?: number;
}

/** What to create. */
export type LinkSpec =
  | (LinkCommon & { kind: 'veth'; peer: VethPeer })
  | (LinkCommon & { kind: 'bridge'; stp?: boolean })
  | (LinkCommon & { kind: 'ifb' })
  | (LinkCommon & {
      kind: 'vxlan';
      vni: number;
      /** Unicast remote VTEP. */
      remote?: string;
      /** Multicast group (needs `device`). */
      group?: string;
      local?: string;
      /** ifindex of the underlay device. */
      device?: number;
      /** UDP destination port (default 4789). */
      port?: number;
      learning?: boolean;
      /** Flow-based (collect_metadata) mode. */
      external?: boolean;
      ttl?: number;
    });

type LinkAttrs = AttrsIn<typeof IFLA.defs>;

function common(l: LinkCommon | VethPeer): LinkAttrs {
  return { IFNAME: l.name, MTU: l.mtu, ADDRESS: l.mac, MASTER: l.master, NUM_TX_QUEUES: l.txQueues };
}

function infoData(s: LinkSpec): LinkAttrs['LINKINFO'] {
  switch (s.kind) {
    case 'veth': {
      const p = s.peer;
      return {
        KIND: 'veth',
        DATA: nestPayload(LINK_INFO_DATA.veth, {
          PEER: { header: { ifi_index: p.index ?? 0 }, attrs: { ...common(p), NET_NS_FD: p.nsFd } },
        }),
      };
    }
    case 'bridge':
      return { KIND: 'bridge', DATA: nestPayload(LINK_INFO_DATA.bridge, { STP_STATE: s.stp ? 1 : 0 }) };
    case 'vxlan': {
      const dst = s.group ?? s.remote;
      const v6 = (ip: string | undefined): boolean => ip !== undefined && ip.includes(':');
      return {
        KIND: 'vxlan',
        DATA: nestPayload(LINK_INFO_DATA.vxlan, {
          ID: s.vni,
          GROUP: dst !== undefined && !v6(dst) ? dst : undefined,
          GROUP6: v6(dst) ? dst : undefined,
          LOCAL: s.local !== undefined && !v6(s.local) ? s.local : undefined,
          LOCAL6: v6(s.local) ? s.local : undefined,
          LINK: s.device,
          PORT: s.port ?? 4789,
          LEARNING: s.learning === undefined ? undefined : s.learning ? 1 : 0,
          TTL: s.ttl,
          COLLECT_METADATA: s.external ? 1 : undefined,
        }),
      };
    }
    case 'ifb':
      return { KIND: 'ifb' };
  }
}

/** An RTM_NEWLINK request creating the device (NLM_F_EXCL: an existing name is an error). */
export function newLink(s: LinkSpec, operation = `create ${s.kind} ${s.name}`): NetlinkRequest {
  const up = s.up ? IFF.UP : 0;
  const message = buildMessage(RTM.NEWLINK, REQUEST.CREATE, LINK_MSG, {
    header: { ifi_index: s.index ?? 0, ifi_flags: up, ifi_change: up },
    attrs: { ...common(s), LINKINFO: infoData(s) },
  });
  return { message, operation };
}

/** Changes to apply to an existing device (by index). */
export interface LinkChange {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** Bridge ifindex to enslave to; 0 releases. */
  master?: number;
  /** Moves the device to the namespace of this open fd. */
  nsFd?: number;
  /** Renames it. */
  name?: string;
}

/** An RTM_NEWLINK (modify) request for the device with ifindex `index`. */
export function setLink(index: number, c: LinkChange, operation = `set link ${index}`): NetlinkRequest {
  const message = buildMessage(RTM.NEWLINK, REQUEST.ACK, LINK_MSG, {
    header: {
      ifi_index: index,
      ifi_flags: c.up ? IFF.UP : 0,
      ifi_change: c.up === undefined ? 0 : IFF.UP,
    },
    attrs: { IFNAME: c.name, MTU: c.mtu, ADDRESS: c.mac, MASTER: c.master, NET_NS_FD: c.nsFd },
  });
  return { message, operation };
}

/** An RTM_DELLINK request for a device by name, or by index. */
export function deleteLink(name: string, index = 0): NetlinkRequest {
  const message = buildMessage(RTM.DELLINK, REQUEST.ACK, LINK_MSG, {
    header: { ifi_index: index },
    attrs: { IFNAME: index ? undefined : name },
  });
  return { message, operation: `delete link ${name}` };
}

/** What a link dump says about one device. */
export interface LinkInfo {
  index: number;
  name: string;
  flags: number;
  kind?: string;
  mtu?: number;
  master?: number;
  /** Administratively up. */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
}

/** Decodes an RTM_NEWLINK message of a dump. */
export function parseLink(msg: NetlinkMessage): LinkInfo {
  const { header, attrs } = decodeMessage(LINK_MSG, msg.payload);
  const flags = header.ifi_flags;
  const info: LinkInfo = {
    index: header.ifi_index,
    name: attrs.IFNAME ?? '',
    flags,
    up: (flags & IFF.UP) !== 0,
    lowerUp: (flags & IFF.LOWER_UP) !== 0,
  };
  if (attrs.LINKINFO?.KIND !== undefined) info.kind = attrs.LINKINFO.KIND;
  if (attrs.MTU !== undefined) info.mtu = attrs.MTU;
  if (attrs.MASTER !== undefined) info.master = attrs.MASTER;
  return info;
}

/** Every link in the socket's namespace. */
export async function listLinks(sock: NetlinkSocket): Promise<LinkInfo[]> {
  const replies = await sock.request(buildMessage(RTM.GETLINK, REQUEST.DUMP, LINK_MSG, {}), 'dump links');
  return replies.filter((r) => r.type === RTM.NEWLINK).map(parseLink);
}

/** An RTM_GETLINK request for one device, by name or by index. */
export function getLinkRequest(by: { name?: string; index?: number }, operation: string): NetlinkRequest {
  const message = buildMessage(RTM.GETLINK, REQUEST.ACK, LINK_MSG, {
    header: { ifi_index: by.index ?? 0 },
    attrs: { IFNAME: by.name },
  });
  return { message, operation };
}

/** One link by name, or undefined when there is none. */
export async function getLink(sock: NetlinkSocket, name: string): Promise<LinkInfo | undefined> {
  const { message, operation } = getLinkRequest({ name }, `get link ${name}`);
  try {
    const [r] = await sock.request(message, operation);
    return r ? parseLink(r) : undefined;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ERRNO.ENODEV) return undefined;
    throw e;
  }
}
