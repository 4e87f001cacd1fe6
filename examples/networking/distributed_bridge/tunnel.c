// distributed_bridge, multicast mode: one bridge per VNI on every host, joined through one
// flow-based (collect_metadata) vxlan device. Frames from the tunnel are handed to the VNI's
// bridge, and their source MAC is learned behind the endpoint that sent them; frames the
// bridge sends into its tunnel port go to the learned endpoint, or, when the destination is
// unknown, broadcast or multicast, to the VNI's multicast group (BUM traffic).
#include <bcc/proto.h>

// The tunnel port of each VNI's bridge: VNI -> ifindex (set by the controller).
BPF_HASH(vni2if, u32, int, 1024);

struct vni_key {
  u64 mac;
  int ifindex; // the tunnel port (so the same MAC may live in two VNIs)
  int pad;
};
struct host {
  u32 tunnel_id;   // VNI
  u32 remote_ipv4; // endpoint, host byte order (as struct bpf_tunnel_key has it)
  u64 rx_pkts;     // frames from this MAC received from the tunnel
  u64 tx_pkts;     // frames to this MAC sent into the tunnel
};
// Where a MAC lives; the controller puts ff:ff:ff:ff:ff:ff -> (VNI, group) per tunnel port.
BPF_HASH(mac2host, struct vni_key, struct host, 4096);

struct config {
  int tunnel_ifindex;
};
BPF_ARRAY(conf, struct config, 1);

#define BROADCAST 0xffffffffffffULL

// On the vxlan device's ingress: learn the sender, hand the frame to the VNI's bridge.
int handle_ingress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  struct bpf_tunnel_key tkey = {};
  if (bpf_skb_get_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0) < 0)
    return TC_ACT_SHOT;
  int *ifindex = vni2if.lookup(&tkey.tunnel_id);
  if (!ifindex)
    return TC_ACT_SHOT; // a VNI this host does not serve
  struct vni_key vk = {ethernet->src, *ifindex, 0};
  struct host fresh = {tkey.tunnel_id, tkey.remote_ipv4, 0, 0};
  struct host *src = mac2host.lookup_or_try_init(&vk, &fresh);
  if (src) {
    src->tunnel_id = tkey.tunnel_id; // a MAC that moved is found at its new endpoint
    src->remote_ipv4 = tkey.remote_ipv4;
    lock_xadd(&src->rx_pkts, 1);
  }
  return bpf_redirect(*ifindex, BPF_F_INGRESS);
}

// On a tunnel port's egress: send the bridge's frame to its endpoint, or to the group.
int handle_egress(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  int zero = 0;
  struct config *cfg = conf.lookup(&zero);
  if (!cfg)
    return TC_ACT_SHOT;
  struct vni_key vk = {ethernet->dst, skb->ifindex, 0};
  struct host *dst = mac2host.lookup(&vk);
  if (dst) {
    lock_xadd(&dst->tx_pkts, 1);
  } else {
    vk.mac = BROADCAST; // unknown unicast, broadcast, multicast: the VNI's group
    dst = mac2host.lookup(&vk);
    if (!dst)
      return TC_ACT_SHOT;
    lock_xadd(&dst->tx_pkts, 1);
  }
  struct bpf_tunnel_key tkey = {};
  tkey.tunnel_id = dst->tunnel_id;
  tkey.remote_ipv4 = dst->remote_ipv4;
  bpf_skb_set_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
  return bpf_redirect(cfg->tunnel_ifindex, 0);
}
