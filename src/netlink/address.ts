/**
 * rtnetlink address and route messages (RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE), as typed
 * options over the IFA/RTA schemas. Builders are pure; send them with a {@link NetlinkSocket}.
 */
import { ADDR_MSG, IFA_F } from './ifa.js';
import { formatIp, networkOf, parseCidr } from './ip.js';
import { buildMessage, REQUEST } from './message.js';
import { ROUTE_MSG } from './rta.js';
import { AF, RT_SCOPE, RT_TABLE, RTM, RTN, RTPROT } from './rtnetlink.js';
import { decodeMessage } from './schema.js';
import type { NetlinkRequest, NetlinkSocket } from './socket.js';

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
  const flags = c.family === 6 && !opts.dad ? IFA_F.NODAD : 0;
  let broadcast: string | undefined;
  if (c.family === 4 && c.prefix < 31) {
    const b = networkOf(c);
    for (let i = 0; i < 4; i++) b[i] = (b[i] ?? 0) | (0xff >> Math.max(0, Math.min(8, c.prefix - i * 8)));
    broadcast = formatIp(b);
  }
  const message = buildMessage(RTM.NEWADDR, REQUEST.CREATE, ADDR_MSG, {
    header: {
      ifa_family: c.family === 4 ? AF.INET : AF.INET6,
      ifa_prefixlen: c.prefix,
      ifa_flags: flags,
      ifa_index: index,
    },
    attrs: { LOCAL: c.text, ADDRESS: c.text, BROADCAST: broadcast, FLAGS: flags || undefined },
  });
  return { message, operation: `add address ${cidr}${opts.dev ? ` to ${opts.dev}` : ''}` };
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
  const out: AddressInfo[] = [];
  const dump = buildMessage(RTM.GETADDR, REQUEST.DUMP, ADDR_MSG, {});
  for (const r of await sock.request(dump, 'dump addresses')) {
    if (r.type !== RTM.NEWADDR) continue;
    const { header, attrs } = decodeMessage(ADDR_MSG, r.payload);
    const address = attrs.LOCAL ?? attrs.ADDRESS;
    if (!address) continue;
    const flags = attrs.FLAGS ?? header.ifa_flags;
    out.push({
      index: header.ifa_index,
      address,
      prefix: header.ifa_prefixlen,
      tentative: (flags & IFA_F.TENTATIVE) !== 0,
    });
  }
  return out;
}

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
  const dst = dflt ? undefined : parseCidr(r.dst);
  const family = dst ? dst.family : r.dst === 'default6' || r.via?.includes(':') ? 6 : 4;
  const message = buildMessage(RTM.NEWROUTE, REQUEST.CREATE, ROUTE_MSG, {
    header: {
      rtm_family: family === 4 ? AF.INET : AF.INET6,
      rtm_dst_len: dst?.prefix ?? 0,
      rtm_table: RT_TABLE.MAIN,
      rtm_protocol: RTPROT.STATIC,
      rtm_scope: r.via ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK,
      rtm_type: RTN.UNICAST,
    },
    attrs: {
      DST: dst ? formatIp(networkOf(dst)) : undefined,
      GATEWAY: r.via,
      OIF: r.oif,
      PRIORITY: r.metric,
    },
  });
  return { message, operation };
}
