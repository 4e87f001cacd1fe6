// The client side of vlan_learning where the kernel has no 8021q (no vlan devices): the tag a
// vlan device would add is pushed on the client interface's egress and popped on its ingress,
// and frames of other VLANs (or untagged ones) are dropped, as a vlan device would not see them.
BPF_ARRAY(client_vlan, u32, 1);  // the client's VLAN id (index 0)
BPF_ARRAY(client_stats, u64, 3); // 0: tagged frames sent, 1: own-VLAN frames received, 2: dropped

static inline u32 own_vlan(void) {
  int zero = 0;
  u32 *vid = client_vlan.lookup(&zero);
  return vid ? *vid : 0;
}

static inline void count(int slot) {
  u64 *c = client_stats.lookup(&slot);
  if (c)
    lock_xadd(c, 1);
}

int tag_egress(struct __sk_buff *skb) {
  u32 vid = own_vlan();
  if (vid == 0)
    return TC_ACT_OK;
  bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), vid);
  count(0);
  return TC_ACT_OK;
}

int untag_ingress(struct __sk_buff *skb) {
  u32 vid = own_vlan();
  if (vid == 0)
    return TC_ACT_OK;
  if (!skb->vlan_present || (skb->vlan_tci & 0x0fff) != vid) {
    count(2);
    return TC_ACT_SHOT;
  }
  bpf_skb_vlan_pop(skb);
  count(1);
  return TC_ACT_OK;
}
