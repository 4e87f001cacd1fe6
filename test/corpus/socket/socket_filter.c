// load: SOCKET_FILTER
// Keep only UDP packets to port 53 (packet reads through proto.h in a socket filter).
#include <linux/in.h>
#include <bcc/proto.h>

BPF_ARRAY(seen, u64, 1);

int dns_only(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->type != ETH_P_IP)
    return 0;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  if (ip->nextp != IPPROTO_UDP)
    return 0;
  struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
  if (udp->dport != 53)
    return 0;
  seen.increment(0);
  return -1;
}
