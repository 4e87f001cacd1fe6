// vlan_learning: a physical port carries tagged traffic for several virtual ports. Ingress
// from the physical side learns which MAC lives on which VLAN, strips the tag and forwards to
// the virtual port; egress from a virtual port tags the frame and sends it out the physical port.
#include <bcc/proto.h>

struct ifindex_leaf_t {
  int out_ifindex;
  u16 vlan_tci;
  u16 vlan_proto;
  u64 tx_pkts;
  u64 tx_bytes;
};

// virtual port ifindex -> physical port and VLAN
BPF_HASH(egress, int, struct ifindex_leaf_t, 4096);
// source MAC seen on the physical port -> virtual port
BPF_HASH(ingress, u64, struct ifindex_leaf_t, 4096);

int handle_phys2virt(struct __sk_buff *skb) {
  if (skb->vlan_present) {
    u8 *cursor = 0;
    ethernet: {
      struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
      u64 src_mac = ethernet->src;
      struct ifindex_leaf_t *leaf = ingress.lookup(&src_mac);
      if (leaf) {
        struct ifindex_leaf_t zleaf = {0};
        struct ifindex_leaf_t *out = egress.lookup_or_try_init(&leaf->out_ifindex, &zleaf);
        if (out) {
          out->out_ifindex = skb->ifindex;
          out->vlan_tci = skb->vlan_tci;
          out->vlan_proto = skb->vlan_proto;
        }
        lock_xadd(&leaf->tx_pkts, 1);
        lock_xadd(&leaf->tx_bytes, skb->len);
        bpf_skb_vlan_pop(skb);
        bpf_clone_redirect(skb, leaf->out_ifindex, 0);
      }
    }
  }
  return 1;
}

int handle_virt2phys(struct __sk_buff *skb) {
  u8 *cursor = 0;
  ethernet: {
    struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
    int src_ifindex = skb->ifindex;
    struct ifindex_leaf_t *leaf = egress.lookup(&src_ifindex);
    if (leaf) {
      lock_xadd(&leaf->tx_pkts, 1);
      lock_xadd(&leaf->tx_bytes, skb->len);
      bpf_skb_vlan_push(skb, leaf->vlan_proto, leaf->vlan_tci);
      bpf_clone_redirect(skb, leaf->out_ifindex, 0);
    }
  }
  return 1;
}
