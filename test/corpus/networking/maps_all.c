// load: SCHED_CLS
// Every map declaration macro, with the table methods that apply to each.
#include <bcc/proto.h>

struct key_t {
  u32 a;
  u16 b;
  u16 c;
};
struct val_t {
  u64 packets;
  u64 bytes;
};
struct lpm_key {
  u32 prefixlen;
  u32 addr;
};
struct ev_t {
  u32 len;
  u32 ifindex;
  char tag[4];
};

BPF_HASH(h1);
BPF_HASH(h2, u32);
BPF_HASH(h3, struct key_t, struct val_t);
BPF_HASH(h4, struct key_t, struct val_t, 128);
BPF_PERCPU_HASH(ph, u32, u64, 64);
BPF_ARRAY(a1);
BPF_ARRAY(a2, struct val_t, 16);
BPF_PERCPU_ARRAY(pa, u64, 4);
BPF_HISTOGRAM(hist_int);
BPF_HISTOGRAM(hist_key, struct key_t, 32);
BPF_LPM_TRIE(lpm, struct lpm_key, u32, 128);
BPF_TABLE("lru_hash", u32, u64, lru, 256);
BPF_TABLE("lru_percpu_hash", u32, u64, lru_pc, 256);
BPF_F_TABLE("hash", u32, u64, flagged, 64, BPF_F_NO_PREALLOC);
BPF_STACK_TRACE(stacks, 100);
BPF_PROG_ARRAY(jumps, 4);
BPF_PERF_OUTPUT(perf_events);
BPF_PERF_ARRAY(counters, 2);
BPF_RINGBUF_OUTPUT(ring, 4);
BPF_CGROUP_ARRAY(cgroups, 2);
BPF_QUEUE(q, u32, 16);
BPF_STACK(st, u64, 16, 0);
BPF_DEVMAP(devs, 4);
BPF_CPUMAP(cpus, 2);
BPF_XSKMAP(xsks, 2);
BPF_ARRAY(inner_tmpl, u32, 4);
BPF_ARRAY_OF_MAPS(outer_arr, "inner_tmpl", 4);
BPF_HASH_OF_MAPS(outer_hash, u32, "inner_tmpl", 8);
BPF_SK_STORAGE(sk_store, u64);
BPF_SOCKMAP(socks, 4);
BPF_SOCKHASH(sockh, u32, 8);
BPF_TABLE_PUBLIC("hash", u32, u64, public_tbl, 32);
BPF_TABLE_SHARED("array", int, u64, shared_tbl, 8);

int use_maps(struct __sk_buff *skb) {
  u32 k = skb->ifindex;
  u64 one = 1;
  h2.update(&k, &one);
  h2.insert(&k, &one);
  u64 *v = h2.lookup(&k);
  if (v)
    lock_xadd(v, 1);
  h2.delete(&k);
  h1.increment(k);
  h1.atomic_increment(k, 2);
  struct key_t key = {.a = k, .b = 1, .c = 2};
  struct val_t zero = {};
  struct val_t *val = h3.lookup_or_try_init(&key, &zero);
  if (val) {
    val->packets++;
    val->bytes += skb->len;
  }
  h4.update(&key, &zero);
  ph.increment(k);
  a1.increment(0);
  pa.increment(1);
  hist_int.increment(bpf_log2l(skb->len));
  hist_key.increment(key);
  struct lpm_key lk = {32, k};
  u32 *hit = lpm.lookup(&lk);
  if (hit)
    return *hit;
  lru.increment(k);
  lru_pc.increment(k);
  flagged.increment(k);
  u32 qv = 7;
  q.push(&qv, 0);
  q.pop(&qv);
  q.peek(&qv);
  u64 sv = 1;
  st.push(&sv, BPF_EXIST);
  struct ev_t ev = {.len = skb->len, .ifindex = skb->ifindex};
  perf_events.perf_submit(skb, &ev, sizeof(ev));
  ring.ringbuf_output(&ev, sizeof(ev), 0);
  struct ev_t *r = ring.ringbuf_reserve(sizeof(struct ev_t));
  if (r) {
    r->len = 1;
    ring.ringbuf_submit(r, 0);
  }
  u32 inner = 0;
  void *m = outer_arr.lookup(&inner);
  if (m)
    return 3;
  public_tbl.increment(k);
  shared_tbl.increment(0);
  jumps.call(skb, 0);
  return 0;
}
