// Golden: packet reads and writes through proto.h headers.
#include <bcc/proto.h>

int rw(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IP)
    return 0;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  u32 src = ip->src;
  u8 hlen = ip->hlen;
  ip->ttl = 64;
  ip->tos |= 0x4;
  eth->dst = eth->src;
  struct vxlan_t *vx = cursor_advance(cursor, sizeof(*vx));
  return src + hlen + vx->key;
}
