// Histogram of the size of sk_buffs freed (raw tracepoint kfree_skb), through implicit reads.
#include <linux/skbuff.h>

BPF_HISTOGRAM(sizes);
BPF_RINGBUF_OUTPUT(rb, 8);

struct ev { u32 len; u32 proto; };

RAW_TRACEPOINT_PROBE(kfree_skb) {
  struct sk_buff *skb = (struct sk_buff *)ctx->args[0];
  u32 len = skb->len;
  sizes.increment(bpf_log2l(len));
  struct ev *e = rb.ringbuf_reserve(sizeof(struct ev));
  if (!e) return 0;
  e->len = len;
  e->proto = skb->protocol;
  rb.ringbuf_submit(e, 0);
  return 0;
}
