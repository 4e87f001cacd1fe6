// The smallest tc classifier: every packet is put into class 1 and passes. It also counts the
// packets and bytes it saw, so that running it is visible (one object per hook: each has its
// own `seen` table).
struct seen_t {
  u64 packets;
  u64 bytes;
};
BPF_ARRAY(seen, struct seen_t, 1);

int hello(struct __sk_buff *skb) {
  int zero = 0;
  struct seen_t *s = seen.lookup(&zero);
  if (s) {
    lock_xadd(&s->packets, 1);
    lock_xadd(&s->bytes, skb->len);
  }
  return 1;
}
