// distributed_bridge, mesh mode: one bridge per VNI on every host with one tunnel port per
// remote host; the bridge itself learns and floods, the programs only map ports to tunnels.
// A frame that came from the tunnel is marked, and the ports' egress program never sends a
// marked frame back into the tunnel (split horizon: the mesh has no loops).
#include <bcc/proto.h>

struct config {
  int tunnel_ifindex;
};
BPF_ARRAY(conf, struct config, 1);

struct tunnel_key {
  u32 tunnel_id;   // VNI
  u32 remote_ipv4; // endpoint, host byte order
};
// (VNI, endpoint) -> the tunnel port of that VNI's bridge for that remote host, and back.
BPF_HASH(tunkey2if, struct tunnel_key, int, 1024);
BPF_HASH(if2tunkey, int, struct tunnel_key, 1024);

// Frames per tunnel port: 0 received from the tunnel, 1 sent into it, 2 held back (split horizon).
struct port_count {
  u64 rx;
  u64 tx;
  u64 held;
};
BPF_HASH(port_counts, int, struct port_count, 1024);

static inline struct port_count *counts_of(int ifindex) {
  struct port_count zero = {};
  return port_counts.lookup_or_try_init(&ifindex, &zero);
}

// On the vxlan device's ingress: the frame enters the bridge through the sender's port.
int handle_ingress(struct __sk_buff *skb) {
  struct bpf_tunnel_key tkey = {};
  if (bpf_skb_get_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0) < 0)
    return TC_ACT_SHOT;
  struct tunnel_key key = {tkey.tunnel_id, tkey.remote_ipv4};
  int *ifindex = tunkey2if.lookup(&key);
  if (!ifindex)
    return TC_ACT_SHOT; // no such VNI or endpoint here
  struct port_count *c = counts_of(*ifindex);
  if (c)
    lock_xadd(&c->rx, 1);
  skb->tc_index = 1; // from the tunnel
  return bpf_redirect(*ifindex, BPF_F_INGRESS);
}

// On a tunnel port's egress: into the tunnel towards that port's host, unless it came from it.
int handle_egress(struct __sk_buff *skb) {
  int ifindex = skb->ifindex;
  struct port_count *c = counts_of(ifindex);
  if (skb->tc_index) {
    if (c)
      lock_xadd(&c->held, 1);
    return TC_ACT_SHOT;
  }
  int zero = 0;
  struct config *cfg = conf.lookup(&zero);
  struct tunnel_key *key = if2tunkey.lookup(&ifindex);
  if (!cfg || !key)
    return TC_ACT_SHOT;
  struct bpf_tunnel_key tkey = {};
  tkey.tunnel_id = key->tunnel_id;
  tkey.remote_ipv4 = key->remote_ipv4;
  bpf_skb_set_tunnel_key(skb, &tkey, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
  if (c)
    lock_xadd(&c->tx, 1);
  return bpf_redirect(cfg->tunnel_ifindex, 0);
}
