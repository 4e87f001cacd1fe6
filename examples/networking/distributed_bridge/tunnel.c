// A distributed learning bridge over a flow-based (external) VXLAN device. Each host's bridge
// learns, per VNI, which remote tunnel endpoint a MAC address lives behind (ingress from the
// tunnel), and steers frames for known MACs to that endpoint (egress into the tunnel).
// Broadcast, multicast and unknown unicast are replicated to every tunnel endpoint of the port's
// VNI (head-end replication from the `flood` table), so ARP finds hosts before anything is
// learned.
#include <bcc/proto.h>

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

struct config {
  int tunnel_ifindex;
};

BPF_HASH(conf, int, struct config, 1);
BPF_HASH(mac2host, struct vni_key, struct host);
BPF_HASH(vni2if, u32, int, 1024);

#define MAX_REMOTES 8

// bridge port ifindex -> its VNI and the tunnel endpoints (host-order IPv4) to flood to
struct flood_list {
  u32 vni;
  u32 count;
  u32 remote_ipv4[MAX_REMOTES];
  u64 flooded;
};
BPF_HASH(flood, int, struct flood_list, 1024);

// Attached at ingress of the vxlan device: learn the sender, hand the frame to the bridge port.
int handle_ingress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  struct bpf_tunnel_key tkey = {};
  bpf_skb_get_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);

  int *ifindex = vni2if.lookup(&tkey.tunnel_id);
  if (!ifindex) {
    bpf_trace_printk("ingress: unknown vni %d\n", tkey.tunnel_id);
    return 1;
  }
  struct vni_key vk = {ethernet->src, *ifindex, 0};
  struct host *src_host =
      mac2host.lookup_or_try_init(&vk, &(struct host){tkey.tunnel_id, tkey.remote_ipv4, 0, 0});
  if (src_host)
    lock_xadd(&src_host->rx_pkts, 1);
  bpf_clone_redirect(skb, *ifindex, 1 /*ingress*/);
  return 1;
}

// Attached at egress of each bridge port: send known unicast MACs to their tunnel endpoint.
int handle_egress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  int zero = 0;
  struct config *cfg = conf.lookup(&zero);
  if (!cfg)
    return 1;
  struct host *dst_host = 0;
  if (!(ethernet->dst & (1ull << 40))) {  // unicast: a learned MAC?
    struct vni_key vk = {ethernet->dst, skb->ifindex, 0};
    dst_host = mac2host.lookup(&vk);
  }
  if (!dst_host) {  // broadcast, multicast or unknown: a copy to every endpoint of the VNI
    int port = skb->ifindex;
    struct flood_list *fl = flood.lookup(&port);
    if (!fl)
      return 1;
    u32 count = fl->count;
#pragma unroll
    for (int i = 0; i < MAX_REMOTES; i++) {
      if (i >= count)
        break;
      struct bpf_tunnel_key fkey = {};
      fkey.tunnel_id = fl->vni;
      fkey.remote_ipv4 = fl->remote_ipv4[i];
      bpf_skb_set_tunnel_key(skb, &fkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
      bpf_clone_redirect(skb, cfg->tunnel_ifindex, 0);
    }
    lock_xadd(&fl->flooded, 1);
    return 1;
  }
  struct bpf_tunnel_key tkey = {};
  tkey.tunnel_id = dst_host->tunnel_id;
  tkey.remote_ipv4 = dst_host->remote_ipv4;
  bpf_skb_set_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
  lock_xadd(&dst_host->tx_pkts, 1);
  bpf_clone_redirect(skb, cfg->tunnel_ifindex, 0);
  return 1;
}
