// error: 6:32: cannot use map function inside a macro
BPF_HASH(counts, u32, u64);

#define BUMP(k) counts.increment(k)

int f(struct __sk_buff *skb) { BUMP(skb->len); return 0; }
