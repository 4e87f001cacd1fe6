/** libbpf-style C programs the tc, XDP and socket tests load. */

const HEAD = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
`;

/**
 * tc classifier (direct action): counts IPv4 ICMP echo requests in slot 0 of "counts" and
 * returns the verdict in slot 0 of "verdict" for them (TC_ACT_OK unless set).
 */
export const ICMP_VERDICT = `${HEAD}
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1);
} verdict SEC(".maps");

SEC("tc")
int icmp_verdict(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return TC_ACT_OK;
  __u8 *icmp = (__u8 *)ip + ip->ihl * 4;
  if ((void *)(icmp + 1) > end || icmp[0] != 8) return TC_ACT_OK;
  __u32 k = 0;
  __u64 *c = bpf_map_lookup_elem(&counts, &k);
  if (c) __sync_fetch_and_add(c, 1);
  __u32 *v = bpf_map_lookup_elem(&verdict, &k);
  return v ? (int)*v : TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** tc classifier that returns TC_ACT_OK for everything (the benchmark's trivial filter). */
export const PASS_ALL = `${HEAD}
SEC("tc")
int pass_all(struct __sk_buff *skb) { return TC_ACT_OK; }
char LICENSE[] SEC("license") = "GPL";
`;

/**
 * Classid mode: IPv4 ICMP echo requests match (-1: the filter's classid, actions run);
 * everything else does not match (0).
 */
export const MATCH_ICMP = `${HEAD}
SEC("classifier")
int match_icmp(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return 0;
  return -1;
}
char LICENSE[] SEC("license") = "GPL";
`;

/**
 * Direct action, for htb: TCP or UDP to destination port 5301 goes to class 1:10, port 5302 to
 * 1:20 (skb->tc_classid holds the minor; the filter's classid the major); the rest is left to the
 * qdisc's default.
 */
export const CLASSIFY_BY_PORT = `${HEAD}
SEC("tc")
int classify_port(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return TC_ACT_OK;
  __u16 dport = 0, sport = 0;
  void *l4 = (__u8 *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *t = l4;
    if ((void *)(t + 1) > end) return TC_ACT_OK;
    dport = bpf_ntohs(t->dest);
    sport = bpf_ntohs(t->source);
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *u = l4;
    if ((void *)(u + 1) > end) return TC_ACT_OK;
    dport = bpf_ntohs(u->dest);
    sport = bpf_ntohs(u->source);
  } else {
    return TC_ACT_OK;
  }
  if (dport == 5301 || sport == 5301) skb->tc_classid = 0x10;
  else if (dport == 5302 || sport == 5302) skb->tc_classid = 0x20;
  return TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;

/**
 * Classid mode (not direct action): returns the class itself — 1:10 for TCP/UDP port 5301,
 * 1:20 for port 5302 — and 0 (no match) for everything else.
 */
export const CLASSID_BY_PORT = `${HEAD}
SEC("classifier")
int classid_port(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP) return 0;
  struct tcphdr *t = (void *)((__u8 *)ip + ip->ihl * 4);
  if ((void *)(t + 1) > end) return 0;
  __u16 dport = bpf_ntohs(t->dest), sport = bpf_ntohs(t->source);
  if (dport == 5301 || sport == 5301) return 0x10010;
  if (dport == 5302 || sport == 5302) return 0x10020;
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;
