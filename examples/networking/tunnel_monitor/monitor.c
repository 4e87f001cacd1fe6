// VXLAN flow monitor. Attached at ingress and egress of the interface that carries the
// overlay, it parses the outer Ethernet/IPv4/UDP/VXLAN headers, then (through a tail call)
// the inner Ethernet/IPv4 headers, and counts packets and bytes per flow: the pair of outer
// (tunnel endpoint) addresses, the VNI and the pair of inner (host) addresses. Both directions
// of a flow land in one entry: the key is ordered so that the smaller inner address is first.
// Packets are counted as they are on the wire: tc sees a GSO packet (many TCP segments in one
// skb) once, so it counts skb->gso_segs for those.
#include <bcc/proto.h>

struct flow_key {
  u32 outer_a;
  u32 outer_b;
  u32 inner_a;
  u32 inner_b;
  u32 vni;
};

struct flow_counters {
  u64 a_to_b_pkts;
  u64 b_to_a_pkts;
  u64 a_to_b_bytes;
  u64 b_to_a_bytes;
};

BPF_HASH(stats, struct flow_key, struct flow_counters, 1024);
BPF_PROG_ARRAY(parser, 8);

// Scratch slots in skb->cb carried across the tail call.
enum cb_slot { SLOT_OUTER_SRC = 0, SLOT_OUTER_DST = 1, SLOT_VNI = 2, SLOT_INNER_OFFSET = 3 };
enum parser_slot { PARSE_OUTER = 1, PARSE_INNER = 2 };

#define VXLAN_PORT 4789

static inline void swap_u32(u32 *x, u32 *y) {
  u32 t = *x;
  *x = *y;
  *y = t;
}

int monitor_ingress(struct __sk_buff *skb) {
  parser.call(skb, PARSE_OUTER);
  return 1;
}

int monitor_egress(struct __sk_buff *skb) {
  parser.call(skb, PARSE_OUTER);
  return 1;
}

int parse_outer(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->type != ETH_P_IP)
    goto done;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  if (ip->nextp != IPPROTO_UDP)
    goto done;
  skb->cb[SLOT_OUTER_SRC] = ip->src;
  skb->cb[SLOT_OUTER_DST] = ip->dst;
  struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
  if (udp->dport != VXLAN_PORT)
    goto done;
  struct vxlan_t *vxlan = cursor_advance(cursor, sizeof(*vxlan));
  skb->cb[SLOT_VNI] = vxlan->key;
  skb->cb[SLOT_INNER_OFFSET] = (u64)vxlan + sizeof(*vxlan);
  parser.call(skb, PARSE_INNER);
done:
  return 1;
}

int parse_inner(struct __sk_buff *skb) {
  u8 *cursor = (u8 *)(u64)skb->cb[SLOT_INNER_OFFSET];
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->type != ETH_P_IP)
    return 1;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));

  struct flow_key key = {};
  key.outer_a = skb->cb[SLOT_OUTER_SRC];
  key.outer_b = skb->cb[SLOT_OUTER_DST];
  key.inner_a = ip->src;
  key.inner_b = ip->dst;
  key.vni = skb->cb[SLOT_VNI];
  int reversed = key.inner_a > key.inner_b;
  if (reversed) {
    swap_u32(&key.inner_a, &key.inner_b);
    swap_u32(&key.outer_a, &key.outer_b);
  }

  u64 segs = skb->gso_segs;
  if (segs == 0)
    segs = 1;

  struct flow_counters zero = {};
  struct flow_counters *c = stats.lookup_or_try_init(&key, &zero);
  if (!c)
    return 1;
  if (reversed) {
    lock_xadd(&c->b_to_a_pkts, segs);
    lock_xadd(&c->b_to_a_bytes, skb->len);
  } else {
    lock_xadd(&c->a_to_b_pkts, segs);
    lock_xadd(&c->a_to_b_bytes, skb->len);
  }
  return 1;
}
