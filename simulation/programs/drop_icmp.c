// tc classifier for the tc-drop-icmp testbed: counts IPv4 ICMP packets in slot 0 of "counts"
// and drops them in direct-action mode; everything else passes.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} counts SEC(".maps");

SEC("tc")
int drop_icmp(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return TC_ACT_OK;
  __u32 key = 0;
  __u64 *n = bpf_map_lookup_elem(&counts, &key);
  if (n) __sync_fetch_and_add(n, 1);
  return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
