// load: KPROBE
// Seeds and propagation of implicit kernel-memory reads (golden: golden/probe_seeds.expected):
// a tracepoint field cast to a pointer, assignment as well as initialisation, `*p` and `p[i]`
// through kernel pointers, and what is left alone: reads spelled inside a macro, and `&`.
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <net/sock.h>

#define READ_INTO(dst, ptr, field) bpf_probe_read_kernel(&(dst), sizeof(dst), &(ptr)->field)

BPF_HASH(xmit_bytes, int, u64);
BPF_HASH(families, u16, u64);

TRACEPOINT_PROBE(net, net_dev_xmit) {
  struct sk_buff *skb = (struct sk_buff *)args->skbaddr;
  u32 len = skb->len;
  struct net_device *dev;
  dev = skb->dev;
  int ifindex = dev->ifindex;
  unsigned char *head = skb->head;
  u16 mac = skb->mac_header;
  u8 first = head[0];
  u8 at_mac = head[mac];
  unsigned int *lenp = &skb->len;
  u32 len_again = *lenp;
  u32 data_len = 0;
  READ_INTO(data_len, skb, data_len);
  u32 truesize = 0;
  bpf_probe_read_kernel(&truesize, sizeof(truesize), &skb->truesize);
  u64 v = len + len_again + data_len + truesize + first + at_mac;
  xmit_bytes.update(&ifindex, &v);
  return 0;
}

int trace_sendmsg(struct pt_regs *ctx, struct sock *sk) {
  struct sock *p;
  p = sk;
  u16 family = p->__sk_common.skc_family;
  struct sock_common *common = &p->__sk_common;
  u32 daddr = common->skc_daddr;
  u16 dport = p->__sk_common.skc_dport;
  families.increment(family, daddr + dport);
  return 0;
}
