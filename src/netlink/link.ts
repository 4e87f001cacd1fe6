/**
 * rtnetlink link messages (RTM_NEWLINK/SETLINK/DELLINK/GETLINK): veth pairs (peer possibly in
 * another namespace), bridges, vxlan devices and ifb devices, as typed options. Builders are
 * pure; send them with a {@link NetlinkSocket}.
 */
import {
  MessageBuilder,
  NLM_F,
  attrMap,
  attrString,
  decoding,
  parseAttrs,
  type NetlinkMessage,
} from './message.js';
import type { NetlinkRequest, NetlinkSocket } from './socket.js';
import { parseIp, parseMac } from './ip.js';
import { NetlinkError } from '../errors.js';

/** rtnetlink message types (linux/rtnetlink.h) used by src/netlink, src/topology and src/tc. */
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
  NEWQDISC: 36,
  DELQDISC: 37,
  GETQDISC: 38,
  NEWTCLASS: 40,
  DELTCLASS: 41,
  GETTCLASS: 42,
  NEWTFILTER: 44,
  DELTFILTER: 45,
  GETTFILTER: 46,
} as const;

const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  OPERSTATE: 16,
  LINKINFO: 18,
  NET_NS_FD: 28,
} as const;
const INFO_KIND = 1;
const INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const VXLAN = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  TTL: 5,
  LEARNING: 7,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
  COLLECT_METADATA: 25,
} as const;
const IFLA_BR_STP_STATE = 5;

/** IFF_UP and IFF_LOWER_UP (linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

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

function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

function common(m: MessageBuilder, l: LinkCommon | VethPeer): void {
  m.str(IFLA.IFNAME, l.name);
  if (l.mtu !== undefined) m.u32(IFLA.MTU, l.mtu);
  if (l.mac !== undefined) m.attr(IFLA.ADDRESS, parseMac(l.mac));
  if (l.master !== undefined) m.u32(IFLA.MASTER, l.master);
}

function vxlanData(m: MessageBuilder, s: Extract<LinkSpec, { kind: 'vxlan' }>): void {
  m.u32(VXLAN.ID, s.vni);
  const dst = s.group ?? s.remote;
  if (dst) {
    const ip = parseIp(dst);
    m.attr(ip.family === 4 ? VXLAN.GROUP : VXLAN.GROUP6, ip.bytes);
  }
  if (s.local) {
    const ip = parseIp(s.local);
    m.attr(ip.family === 4 ? VXLAN.LOCAL : VXLAN.LOCAL6, ip.bytes);
  }
  if (s.device !== undefined) m.u32(VXLAN.LINK, s.device);
  m.be16(VXLAN.PORT, s.port ?? 4789);
  if (s.learning !== undefined) m.u8(VXLAN.LEARNING, s.learning ? 1 : 0);
  if (s.ttl !== undefined) m.u8(VXLAN.TTL, s.ttl);
  if (s.external) m.u8(VXLAN.COLLECT_METADATA, 1);
}

/** An RTM_NEWLINK request creating the device (NLM_F_EXCL: an existing name is an error). */
export function newLink(s: LinkSpec, operation = `create ${s.kind} ${s.name}`): NetlinkRequest {
  const up = s.up ? IFF_UP : 0;
  const m = new MessageBuilder(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL).raw(
    ifinfomsg(s.index ?? 0, up, up),
  );
  common(m, s);
  m.nest(IFLA.LINKINFO, (li) => {
    li.str(INFO_KIND, s.kind);
    if (s.kind === 'veth') {
      const p = s.peer;
      li.nest(INFO_DATA, (d) =>
        d.nest(VETH_INFO_PEER, (pm) => {
          pm.raw(ifinfomsg(p.index ?? 0));
          common(pm, p);
          if (p.nsFd !== undefined) pm.u32(IFLA.NET_NS_FD, p.nsFd);
        }),
      );
    } else if (s.kind === 'bridge') {
      li.nest(INFO_DATA, (d) => d.u32(IFLA_BR_STP_STATE, s.stp ? 1 : 0));
    } else if (s.kind === 'vxlan') {
      li.nest(INFO_DATA, (d) => vxlanData(d, s));
    }
  });
  return { message: m, operation };
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
  const flags = c.up === undefined ? 0 : c.up ? IFF_UP : 0;
  const change = c.up === undefined ? 0 : IFF_UP;
  const m = new MessageBuilder(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK).raw(ifinfomsg(index, flags, change));
  if (c.name !== undefined) m.str(IFLA.IFNAME, c.name);
  if (c.mtu !== undefined) m.u32(IFLA.MTU, c.mtu);
  if (c.mac !== undefined) m.attr(IFLA.ADDRESS, parseMac(c.mac));
  if (c.master !== undefined) m.u32(IFLA.MASTER, c.master);
  if (c.nsFd !== undefined) m.u32(IFLA.NET_NS_FD, c.nsFd);
  return { message: m, operation };
}

/** An RTM_DELLINK request for a device by name. */
export function deleteLink(name: string): NetlinkRequest {
  const m = new MessageBuilder(RTM.DELLINK, NLM_F.REQUEST | NLM_F.ACK)
    .raw(ifinfomsg())
    .str(IFLA.IFNAME, name);
  return { message: m, operation: `delete link ${name}` };
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
  return decoding('link message', () => decodeLink(msg));
}

function decodeLink(msg: NetlinkMessage): LinkInfo {
  const index = msg.payload.readInt32LE(4);
  const flags = msg.payload.readUInt32LE(8);
  const a = attrMap(msg.payload.subarray(16));
  const info: LinkInfo = {
    index,
    name: attrString(a.get(IFLA.IFNAME)) ?? '',
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
  };
  const li = a.get(IFLA.LINKINFO);
  if (li) {
    const kind = parseAttrs(li).find((x) => x.type === INFO_KIND);
    if (kind) info.kind = attrString(kind.data) ?? '';
  }
  const mtu = a.get(IFLA.MTU);
  if (mtu) info.mtu = mtu.readUInt32LE(0);
  const master = a.get(IFLA.MASTER);
  if (master) info.master = master.readUInt32LE(0);
  return info;
}

/** Every link in the socket's namespace. */
export async function listLinks(sock: NetlinkSocket): Promise<LinkInfo[]> {
  const m = new MessageBuilder(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP).raw(ifinfomsg());
  const replies = await sock.request(m, 'dump links');
  return replies.filter((r) => r.type === RTM.NEWLINK).map(parseLink);
}

/** One link by name, or undefined when there is none. */
export async function getLink(sock: NetlinkSocket, name: string): Promise<LinkInfo | undefined> {
  const m = new MessageBuilder(RTM.GETLINK, NLM_F.REQUEST).raw(ifinfomsg()).str(IFLA.IFNAME, name);
  try {
    const [r] = await sock.request(m, `get link ${name}`);
    return r ? parseLink(r) : undefined;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 19 /* ENODEV */) return undefined;
    throw e;
  }
}
