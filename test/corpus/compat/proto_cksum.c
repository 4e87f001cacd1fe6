// Packet-header fields with their address taken for checksum helpers, as BCC's proto.h allows
// (compat class 6): `&ip->hchecksum`, `&udp->crc` and `&tcp->cksum` are packet offsets.
// load: rewrite_dst=SCHED_CLS
#include <bcc/proto.h>

int rewrite_dst(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IP)
    return 0;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  u32 old_dip = ip->dst;
  u32 new_dip = 0x0a000001;
  if (ip->nextp == IPPROTO_UDP) {
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    incr_cksum_l4(&udp->crc, old_dip, new_dip, 1);
  } else if (ip->nextp == IPPROTO_TCP) {
    struct tcp_t *tcp = cursor_advance(cursor, sizeof(*tcp));
    incr_cksum_l4(&tcp->cksum, old_dip, new_dip, 1);
  }
  incr_cksum_l3(&ip->hchecksum, old_dip, new_dip);
  ip->dst = new_dip;
  return 0;
}
