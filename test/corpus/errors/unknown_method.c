// error: 5:10: no member named 'frobnicate' in 'struct counts_table_t'
BPF_HASH(counts, u32, u64);
int f(struct __sk_buff *skb) {
  u32 k = 0;
  counts.frobnicate(&k);
  return 0;
}
