// load: SCHED_CLS
// Table methods and builtins of skb programs not covered elsewhere: perf_submit_skb,
// lookup_or_init / lookup_or_try_init, ringbuf_reserve + discard / query, pinned / public /
// shared queues and stacks, a hash of maps with the default key, raw loads and stores,
// MASK / MASK128, bpf_log2.
#include <bcc/proto.h>

struct meta_t {
  u32 ifindex;
  u32 len;
  u16 proto;
  u8 log2_len;
  u8 first_byte;
};

struct flow_t {
  u32 saddr;
  u32 daddr;
};

struct flow_ctr {
  u64 packets;
  u64 bytes;
};

BPF_PERF_OUTPUT(samples);
BPF_RINGBUF_OUTPUT(drops, 2);
BPF_HASH(flows, struct flow_t, struct flow_ctr, 1024);
BPF_HASH(by_proto, u16, struct flow_ctr, 64);
BPF_QUEUESTACK_PINNED("queue", pinned_q, u32, 8, 0, "/sys/fs/bpf/tsbcc-corpus-pinned-q");
BPF_QUEUESTACK_PUBLIC("stack", public_st, u64, 8, 0);
BPF_QUEUESTACK_SHARED("queue", shared_q, struct flow_t, 4, 0);
BPF_HASH(inner_counts, u32, u64, 16);
BPF_HASH_OF_MAPS(per_netns, "inner_counts");

// Sample every packet with its first 64 bytes through perf_submit_skb.
int sample_packets(struct __sk_buff *skb) {
  struct meta_t meta = {};
  meta.ifindex = skb->ifindex;
  meta.len = skb->len;
  meta.proto = skb->protocol;
  meta.log2_len = bpf_log2(skb->len);
  meta.first_byte = load_byte(skb, 0);
  u32 snap = skb->len > 64 ? 64 : skb->len;
  samples.perf_submit_skb(skb, snap, &meta, sizeof(meta));
  return TC_ACT_OK;
}

// Per-flow counters: lookup_or_try_init (NULL when the insert fails) and the deprecated
// lookup_or_init (leaves the program with 0 when it fails).
int count_flows(struct __sk_buff *skb) {
  if (load_half(skb, 12) != ETH_P_IP)
    return TC_ACT_OK;
  struct flow_t key = {.saddr = load_word(skb, 26), .daddr = load_word(skb, 30)};
  struct flow_ctr zero = {};
  struct flow_ctr *s = flows.lookup_or_try_init(&key, &zero);
  if (s) {
    lock_xadd(&s->packets, 1);
    lock_xadd(&s->bytes, skb->len);
  }
  u16 proto = load_byte(skb, 23);
  struct flow_ctr *p = by_proto.lookup_or_init(&proto, &zero);
  p->packets++;
  p->bytes += skb->len;
  return TC_ACT_OK;
}

// Oversized packets are reported through the ring buffer unless it is filling up; a
// reservation is discarded when the packet turns out to be fine.
int report_drops(struct __sk_buff *skb) {
  u64 avail = drops.ringbuf_query(BPF_RB_AVAIL_DATA);
  if (avail > 4096)
    return TC_ACT_OK;
  struct meta_t *m = drops.ringbuf_reserve(sizeof(struct meta_t));
  if (!m)
    return TC_ACT_OK;
  m->ifindex = skb->ifindex;
  m->len = skb->len;
  if (skb->len <= 1500) {
    drops.ringbuf_discard(m, BPF_RB_NO_WAKEUP);
    return TC_ACT_OK;
  }
  drops.ringbuf_submit(m, 0);
  return TC_ACT_SHOT;
}

// Queues and stacks declared pinned, public and shared; a hash of maps keyed by int.
int queue_work(struct __sk_buff *skb) {
  u32 len = skb->len;
  pinned_q.push(&len, BPF_EXIST);
  u64 mark = skb->mark;
  public_st.push(&mark, 0);
  struct flow_t f = {};
  if (shared_q.pop(&f) == 0)
    pinned_q.peek(&len);
  int netns = skb->ifindex;
  void *inner = per_netns.lookup(&netns);
  return inner ? TC_ACT_PIPE : TC_ACT_OK;
}

// Raw stores: rewrite the destination MAC and the TOS byte without proto.h.
int raw_rewrite(struct __sk_buff *skb) {
  u64 dst = load_dword(skb, 0) >> 16;
  if ((dst & MASK(40)) == 0)
    return TC_ACT_OK;
  bpf_store_word(skb, 0, 0x02000000);
  bpf_store_half(skb, 4, 0x0001);
  if (load_half(skb, 12) == ETH_P_IP) {
    u8 tos = load_byte(skb, 15);
    bpf_store_byte(skb, 15, tos & MASK(2));
    u64 ids = load_dword(skb, 18);
    bpf_store_dword(skb, 18, ids & ~MASK(16));
  }
  unsigned __int128 wide = MASK128(100);
  return (wide >> 99) == 1 ? TC_ACT_OK : TC_ACT_SHOT;
}
