/**
 * rtnetlink address and route messages (RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE), as typed
 * options. Builders are pure; send them with a {@link NetlinkSocket}.
 */
import { MessageBuilder, NLM_F, attrMap, decoding, type NetlinkMessage } from './message.js';
import type { NetlinkRequest, NetlinkSocket } from './socket.js';
import { AF_INET, AF_INET6, formatIp, networkOf, parseCidr, parseIp } from './ip.js';
import { RTM } from './link.js';

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;
/** IFA_F_NODAD and IFA_F_TENTATIVE (linux/if_addr.h). */
const IFA_F_NODAD = 0x02;
const IFA_F_TENTATIVE = 0x40;

/**
 * An RTM_NEWADDR request adding `cidr` (e.g. 10.0.0.1/24 or fd00::1/64) to ifindex. IPv6
 * addresses skip duplicate address detection unless dad is set, so they are usable at once.
 */
export function addAddress(
  index: number,
  cidr: string,
  opts: { dad?: boolean; dev?: string } = {},
): NetlinkRequest {
  const c = parseCidr(cidr);
  const hdr = Buffer.alloc(8);
  hdr.writeUInt8(c.family === 4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(c.prefix, 1);
  const flags = c.family === 6 && !opts.dad ? IFA_F_NODAD : 0;
  hdr.writeUInt8(flags, 2);
  hdr.writeUInt32LE(index, 4);
  const m = new MessageBuilder(RTM.NEWADDR, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL).raw(hdr);
  m.attr(IFA_LOCAL, c.bytes).attr(IFA_ADDRESS, c.bytes);
  if (c.family === 4 && c.prefix < 31) {
    const bcast = networkOf(c);
    for (let i = 0; i < 4; i++) {
      const bits = Math.max(0, Math.min(8, c.prefix - i * 8));
      bcast[i] = (bcast[i] ?? 0) | (0xff >> bits);
    }
    m.attr(IFA_BROADCAST, bcast);
  }
  if (flags) m.u32(IFA_FLAGS, flags);
  return { message: m, operation: `add address ${cidr}${opts.dev ? ` to ${opts.dev}` : ''}` };
}

/** One configured address. */
export interface AddressInfo {
  index: number;
  address: string;
  prefix: number;
  /** Still doing duplicate address detection (IPv6). */
  tentative: boolean;
}

/** Every address in the socket's namespace. */
export async function listAddresses(sock: NetlinkSocket): Promise<AddressInfo[]> {
  const m = new MessageBuilder(RTM.GETADDR, NLM_F.REQUEST | NLM_F.DUMP).raw(Buffer.alloc(8));
  const replies = await sock.request(m, 'dump addresses');
  return decoding('address dump', () => replies.flatMap(decodeAddress));
}

function decodeAddress(r: NetlinkMessage): AddressInfo[] {
  if (r.type !== RTM.NEWADDR) return [];
  const a = attrMap(r.payload.subarray(8));
  const bytes = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
  if (!bytes) return [];
  const flagsAttr = a.get(IFA_FLAGS);
  const flags = flagsAttr ? flagsAttr.readUInt32LE(0) : r.payload.readUInt8(2);
  return [
    {
      index: r.payload.readUInt32LE(4),
      address: formatIp(bytes),
      prefix: r.payload.readUInt8(1),
      tentative: (flags & IFA_F_TENTATIVE) !== 0,
    },
  ];
}

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

/** A route: destination prefix (or default), through a gateway and/or out of a device. */
export interface RouteSpec {
  /** `default`, `default6`, or a CIDR such as 10.1.0.0/16 or 224.0.0.0/4. */
  dst: string;
  /** Gateway address. */
  via?: string;
  /** Output ifindex. */
  oif?: number;
  metric?: number;
}

/** An RTM_NEWROUTE request in the main table. */
export function addRoute(r: RouteSpec, operation = `add route ${r.dst}`): NetlinkRequest {
  const dflt = r.dst === 'default' || r.dst === 'default6';
  const family = dflt
    ? r.dst === 'default6' || (r.via && r.via.includes(':'))
      ? 6
      : 4
    : parseCidr(r.dst).family;
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  const m = new MessageBuilder(RTM.NEWROUTE, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL);
  let dstLen = 0;
  let dstBytes: Buffer | undefined;
  if (!dflt) {
    const c = parseCidr(r.dst);
    dstLen = c.prefix;
    dstBytes = networkOf(c);
  }
  hdr.writeUInt8(dstLen, 1);
  hdr.writeUInt8(RT_TABLE_MAIN, 4);
  hdr.writeUInt8(RTPROT_STATIC, 5);
  hdr.writeUInt8(r.via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, 6);
  hdr.writeUInt8(RTN_UNICAST, 7);
  m.raw(hdr);
  if (dstBytes) m.attr(RTA_DST, dstBytes);
  if (r.via) m.attr(RTA_GATEWAY, parseIp(r.via).bytes);
  if (r.oif !== undefined) m.u32(RTA_OIF, r.oif);
  if (r.metric !== undefined) m.u32(RTA_PRIORITY, r.metric);
  return { message: m, operation };
}
