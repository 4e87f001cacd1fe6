// error: 5:10: invalid bpf_table operation frobnicate: map counts has no method frobnicate
BPF_HASH(counts, u32, u64);
int f(struct __sk_buff *skb) {
  u32 k = 0;
  counts.frobnicate(&k);
  return 0;
}
