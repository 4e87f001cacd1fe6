/** Whether a TCP port is listening inside a namespace, asked through NETLINK_SOCK_DIAG. */
import { AF } from '../netlink/rtnetlink.js';
import { MessageBuilder, REQUEST } from '../netlink/message.js';
import { decodeStruct, encodeStruct, struct } from '../netlink/schema.js';
import type { NetlinkSocket } from '../netlink/socket.js';

/** NETLINK_SOCK_DIAG protocol number. */
export const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const IPPROTO_TCP = 6;
const TCP_LISTEN = 10;

/** struct inet_diag_sockid (linux/inet_diag.h). */
const INET_DIAG_SOCKID = struct('inet_diag_sockid', {
  idiag_sport: 'be16',
  idiag_dport: 'be16',
  idiag_src: { bytes: 16 },
  idiag_dst: { bytes: 16 },
  idiag_if: 'u32',
  idiag_cookie: { array: 'u32', length: 2 },
});

/** struct inet_diag_req_v2. */
const INET_DIAG_REQ_V2 = struct('inet_diag_req_v2', {
  sdiag_family: 'u8',
  sdiag_protocol: 'u8',
  idiag_ext: 'u8',
  pad: 'u8',
  idiag_states: 'u32',
  id: INET_DIAG_SOCKID,
});

/** The start of struct inet_diag_msg (what is read of each reply). */
const INET_DIAG_MSG = struct('inet_diag_msg', {
  idiag_family: 'u8',
  idiag_state: 'u8',
  idiag_timer: 'u8',
  idiag_retrans: 'u8',
  id: INET_DIAG_SOCKID,
});

function request(family: number): MessageBuilder {
  const req = encodeStruct(INET_DIAG_REQ_V2, {
    sdiag_family: family,
    sdiag_protocol: IPPROTO_TCP,
    idiag_states: 1 << TCP_LISTEN,
  });
  return new MessageBuilder(SOCK_DIAG_BY_FAMILY, REQUEST.DUMP, req);
}

/** The TCP ports in LISTEN state (IPv4 and IPv6) seen by a NETLINK_SOCK_DIAG socket. */
export async function listeningTcpPorts(sock: NetlinkSocket): Promise<Set<number>> {
  const out = new Set<number>();
  const replies = await sock.batch([
    { message: request(AF.INET), operation: 'dump IPv4 TCP listeners' },
    { message: request(AF.INET6), operation: 'dump IPv6 TCP listeners' },
  ]);
  for (const msgs of replies) {
    for (const m of msgs) {
      if (m.type !== SOCK_DIAG_BY_FAMILY || m.payload.length < 8) continue;
      out.add(decodeStruct(INET_DIAG_MSG, m.payload).id.idiag_sport);
    }
  }
  return out;
}
