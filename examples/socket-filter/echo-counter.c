// Counts IPv4 ICMP echo requests seen on a socket, by source address. The socket itself gets
// nothing (the filter returns 0): the counts live in the map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);   // source IPv4 address, network order
  __type(value, __u64); // echo requests seen
  __uint(max_entries, 1024);
} echo_requests SEC(".maps");

SEC("socket")
int count_echo(struct __sk_buff *skb) {
  __u16 proto;
  __u8 ipproto, icmp_type, ihl;
  __u32 saddr;
  if (bpf_skb_load_bytes(skb, 12, &proto, 2) < 0 || proto != bpf_htons(ETH_P_IP)) return 0;
  if (bpf_skb_load_bytes(skb, 14, &ihl, 1) < 0) return 0;
  if (bpf_skb_load_bytes(skb, 23, &ipproto, 1) < 0 || ipproto != IPPROTO_ICMP) return 0;
  if (bpf_skb_load_bytes(skb, 14 + (ihl & 0xf) * 4, &icmp_type, 1) < 0 || icmp_type != 8) return 0;
  if (bpf_skb_load_bytes(skb, 26, &saddr, 4) < 0) return 0;
  __u64 one = 1, *v = bpf_map_lookup_elem(&echo_requests, &saddr);
  if (v) __sync_fetch_and_add(v, 1);
  else bpf_map_update_elem(&echo_requests, &saddr, &one, BPF_NOEXIST);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
