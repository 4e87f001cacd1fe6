/** Whether a TCP port is listening inside a namespace, asked through NETLINK_SOCK_DIAG. */
import { MessageBuilder, NLM_F } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';

/** NETLINK_SOCK_DIAG protocol number. */
export const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const IPPROTO_TCP = 6;
const TCP_LISTEN = 10;

function request(family: number): MessageBuilder {
  const req = Buffer.alloc(56); // struct inet_diag_req_v2
  req.writeUInt8(family, 0);
  req.writeUInt8(IPPROTO_TCP, 1);
  req.writeUInt32LE(1 << TCP_LISTEN, 4);
  return new MessageBuilder(SOCK_DIAG_BY_FAMILY, NLM_F.REQUEST | NLM_F.DUMP).raw(req);
}

/** The TCP ports in LISTEN state (IPv4 and IPv6) seen by a NETLINK_SOCK_DIAG socket. */
export async function listeningTcpPorts(sock: NetlinkSocket): Promise<Set<number>> {
  const out = new Set<number>();
  const replies = await sock.batch([
    { message: request(2), operation: 'dump IPv4 TCP listeners' },
    { message: request(10), operation: 'dump IPv6 TCP listeners' },
  ]);
  for (const msgs of replies) {
    for (const m of msgs) {
      if (m.type !== SOCK_DIAG_BY_FAMILY || m.payload.length < 8) continue;
      out.add(m.payload.readUInt16BE(4)); // inet_diag_msg.id.idiag_sport
    }
  }
  return out;
}
