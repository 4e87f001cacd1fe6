// load: SOCK_OPS
// load: redirect_msg=SK_MSG
// load: redirect_skb=SK_SKB
// Socket maps: a sock_ops program records established TCP sockets in a sockmap and a
// sockhash (sock_map_update / sock_hash_update); an sk_msg and an sk_skb program send data
// straight to the peer socket (msg_redirect_hash / sk_redirect_hash).
#include <uapi/linux/bpf.h>

struct flow_key {
  u32 local_ip;
  u32 remote_ip;
  u32 local_port;
  u32 remote_port;
};

BPF_SOCKMAP(by_slot, 64);
BPF_SOCKHASH(by_flow, struct flow_key, 1024);

int track_established(struct bpf_sock_ops *skops) {
  if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
    return 0;
  if (skops->family != AF_INET)
    return 0;
  struct flow_key key = {
      .local_ip = skops->local_ip4,
      .remote_ip = skops->remote_ip4,
      .local_port = skops->local_port,
      .remote_port = bpf_ntohl(skops->remote_port),
  };
  by_flow.sock_hash_update(skops, &key, BPF_NOEXIST);
  u32 slot = key.local_port % 64;
  by_slot.sock_map_update(skops, &slot, BPF_ANY);
  return 0;
}

// The peer of a message's socket is the socket whose flow key is the mirror image.
int redirect_msg(struct sk_msg_md *msg) {
  struct flow_key peer = {
      .local_ip = msg->remote_ip4,
      .remote_ip = msg->local_ip4,
      .local_port = bpf_ntohl(msg->remote_port),
      .remote_port = msg->local_port,
  };
  return by_flow.msg_redirect_hash(msg, &peer, BPF_F_INGRESS);
}

int redirect_skb(struct __sk_buff *skb) {
  struct flow_key peer = {
      .local_ip = skb->remote_ip4,
      .remote_ip = skb->local_ip4,
      .local_port = bpf_ntohl(skb->remote_port),
      .remote_port = skb->local_port,
  };
  return by_flow.sk_redirect_hash(skb, &peer, BPF_F_INGRESS);
}
