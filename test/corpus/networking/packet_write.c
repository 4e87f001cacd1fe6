// load: SCHED_CLS
// Packet writes: whole fields, sub-byte fields, compound assignment, checksum updates.
#include <bcc/proto.h>

int rewrite_packet(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->type != ETH_P_IP)
    return TC_ACT_OK;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  u32 old_ttl = ip->ttl;
  ip->ttl -= 1;
  incr_cksum_l3((u64)ip + 8, old_ttl << 8, (old_ttl - 1) << 8);
  ip->tos = 0x10;
  ip->df = 1;
  if (ip->nextp == IPPROTO_UDP) {
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    u16 old_port = udp->dport;
    udp->dport = 5353;
    incr_cksum_l4((u64)udp + 6, old_port, 5353, 1);
  }
  ethernet->src = 0x020000000001ull;
  return TC_ACT_OK;
}
