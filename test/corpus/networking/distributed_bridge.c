// distributed_bridge: a bridge spread over hosts with VXLAN tunnels (collect_metadata mode).
// Ingress from the tunnel learns which remote host has a MAC and hands the frame to the local
// interface for its VNI; egress towards the tunnel looks the MAC up and sets the tunnel key.
#include <bcc/proto.h>

struct config {
  int tunnel_ifindex;
};
BPF_HASH(conf, int, struct config, 1);

struct tunnel_key {
  u32 tunnel_id;
  u32 remote_ipv4;
};
BPF_HASH(tunkey2if, struct tunnel_key, int, 1024);
BPF_HASH(if2tunkey, int, struct tunnel_key, 1024);

struct vni_key {
  u64 mac;
  int ifindex;
  int pad;
};
struct host {
  u32 tunnel_id;
  u32 remote_ipv4;
  u64 rx_pkts;
  u64 tx_pkts;
};
BPF_HASH(mac2host, struct vni_key, struct host);
BPF_HASH(vni2if, u32, int, 1024);

// from the tunnel device: learn the sender, forward to the VNI's interface
int handle_ingress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  struct bpf_tunnel_key tkey = {};
  bpf_skb_get_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
  int *ifindex = vni2if.lookup(&tkey.tunnel_id);
  if (ifindex) {
    struct vni_key vk = {ethernet->src, *ifindex, 0};
    struct host *src_host = mac2host.lookup_or_try_init(&vk, &(struct host){tkey.tunnel_id, tkey.remote_ipv4, 0, 0});
    if (src_host)
      lock_xadd(&src_host->rx_pkts, 1);
    bpf_clone_redirect(skb, *ifindex, 1 /*ingress*/);
  } else {
    bpf_trace_printk("ingress invalid tunnel_id=%d\n", tkey.tunnel_id);
  }
  return 1;
}

// from a local interface: find the remote host of the destination MAC, set the tunnel key
int handle_egress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  int zero = 0;
  struct config *cfg = conf.lookup(&zero);
  if (!cfg)
    return 1;
  struct host *dst_host;
  if (ethernet->dst & (1ull << 40)) {
    // broadcast/multicast: flood to the VNI's default destination
    struct tunnel_key *tk = if2tunkey.lookup(&(int){skb->ifindex});
    if (!tk)
      return 1;
    struct bpf_tunnel_key tkey = {};
    tkey.tunnel_id = tk->tunnel_id;
    tkey.remote_ipv4 = tk->remote_ipv4;
    bpf_skb_set_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
    bpf_clone_redirect(skb, cfg->tunnel_ifindex, 0);
    return 1;
  }
  struct vni_key vk = {ethernet->dst, skb->ifindex, 0};
  dst_host = mac2host.lookup(&vk);
  if (dst_host) {
    struct bpf_tunnel_key tkey = {};
    tkey.tunnel_id = dst_host->tunnel_id;
    tkey.remote_ipv4 = dst_host->remote_ipv4;
    bpf_skb_set_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
    lock_xadd(&dst_host->tx_pkts, 1);
    bpf_clone_redirect(skb, cfg->tunnel_ifindex, 0);
  } else {
    bpf_trace_printk("egress no host for mac %llx\n", (u64)ethernet->dst);
  }
  return 1;
}
