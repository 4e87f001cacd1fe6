// tunnel_monitor: count packets and bytes per (outer, inner) address pair of VXLAN traffic.
// The outer parser finds the VXLAN header and tail-calls the inner parser, passing the header
// offset and the outer addresses through skb->cb[].
#include <bcc/proto.h>

struct ipkey {
  u32 inner_sip;
  u32 inner_dip;
  u32 outer_sip;
  u32 outer_dip;
  u32 vni;
};

struct counters {
  u64 tx_pkts;
  u64 rx_pkts;
  u64 tx_bytes;
  u64 rx_bytes;
};

BPF_HASH(stats, struct ipkey, struct counters, 1024);
BPF_PROG_ARRAY(parser, 10);

enum cb_index {
  CB_FLAGS = 0,
  CB_SIP,
  CB_DIP,
  CB_VNI,
  CB_OFFSET,
};

#define IS_EGRESS 0x1
#define VXLAN_PORT 4789

static inline void swap32(u32 *a, u32 *b) {
  u32 t = *a;
  *a = *b;
  *b = t;
}

static inline void swap_ipkey(struct ipkey *key) {
  swap32(&key->outer_sip, &key->outer_dip);
  swap32(&key->inner_sip, &key->inner_dip);
}

// Entry points: remember the direction, then parse the outer headers.
int handle_ingress(struct __sk_buff *skb) {
  skb->cb[CB_FLAGS] = 0;
  parser.call(skb, 1);
  return 1;
}

int handle_egress(struct __sk_buff *skb) {
  skb->cb[CB_FLAGS] = IS_EGRESS;
  parser.call(skb, 1);
  return 1;
}

// Outer: ethernet / IPv4 / UDP:4789 / VXLAN.
int handle_outer(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  switch (ethernet->type) {
    case ETH_P_IP: goto ip;
    default: goto finish;
  }
ip: ;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  skb->cb[CB_SIP] = ip->src;
  skb->cb[CB_DIP] = ip->dst;
  switch (ip->nextp) {
    case 17: goto udp;
    default: goto finish;
  }
udp: ;
  struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
  switch (udp->dport) {
    case VXLAN_PORT: goto vxlan;
    default: goto finish;
  }
vxlan: ;
  struct vxlan_t *vxlan = cursor_advance(cursor, sizeof(*vxlan));
  skb->cb[CB_VNI] = vxlan->key;
  skb->cb[CB_OFFSET] = (u64)vxlan + sizeof(*vxlan);
  parser.call(skb, 2);
finish:
  return 1;
}

// Inner: ethernet / IPv4 at the offset the outer parser left; account the packet.
int handle_inner(struct __sk_buff *skb) {
  int is_egress = skb->cb[CB_FLAGS] & IS_EGRESS;
  struct ipkey key = {};
  key.outer_sip = skb->cb[CB_SIP];
  key.outer_dip = skb->cb[CB_DIP];
  key.vni = skb->cb[CB_VNI];
  u8 *cursor = (u8 *)(u64)skb->cb[CB_OFFSET];
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->dst & (1ull << 40))
    goto finish;  // multicast/broadcast inner frame
  switch (ethernet->type) {
    case ETH_P_IP: goto ip;
    default: goto finish;
  }
ip: ;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  key.inner_sip = ip->src;
  key.inner_dip = ip->dst;
  if (is_egress)
    swap_ipkey(&key);
  struct counters zleaf = {0};
  struct counters *leaf = stats.lookup_or_try_init(&key, &zleaf);
  if (leaf) {
    if (is_egress) {
      lock_xadd(&leaf->tx_pkts, 1);
      lock_xadd(&leaf->tx_bytes, skb->len);
    } else {
      lock_xadd(&leaf->rx_pkts, 1);
      lock_xadd(&leaf->rx_bytes, skb->len);
    }
  }
finish:
  return 1;
}
