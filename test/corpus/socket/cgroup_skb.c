// load: CGROUP_SKB
// cgroup skb programs: per-cgroup storage (shared and per-CPU) through get_local_storage,
// per-socket storage through sk_storage_get / sk_storage_delete.
#include <uapi/linux/bpf.h>

struct sk_usage_t {
  u64 bytes;
  u64 packets;
};

struct cg_usage_t {
  u64 bytes;
  u64 dropped;
};

BPF_CGROUP_STORAGE(cg_usage, struct cg_usage_t);
BPF_PERCPU_CGROUP_STORAGE(cg_packets, u64);
BPF_SK_STORAGE(sk_usage, struct sk_usage_t);

#define SOCKET_QUOTA (1ull << 30)

// Egress accounting: drop a socket's packets once it has sent its quota, and forget the
// socket's counters when it drops.
int egress_quota(struct __sk_buff *skb) {
  struct cg_usage_t *cg = cg_usage.get_local_storage(0);
  lock_xadd(&cg->bytes, skb->len);
  u64 *pkts = cg_packets.get_local_storage(0);
  *pkts += 1;
  struct bpf_sock *sk = skb->sk;
  if (!sk)
    return 1;
  sk = bpf_sk_fullsock(sk);
  if (!sk)
    return 1;
  struct sk_usage_t *u = sk_usage.sk_storage_get(sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (!u)
    return 1;
  u->packets++;
  u->bytes += skb->len;
  if (u->bytes <= SOCKET_QUOTA)
    return 1;
  lock_xadd(&cg->dropped, 1);
  sk_usage.sk_storage_delete(sk);
  return 0;
}
