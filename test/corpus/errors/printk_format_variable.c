// error: 4:20: bpf_trace_printk needs a string literal as its format
int f(struct __sk_buff *skb) {
  const char *fmt = "len %d\n";
  bpf_trace_printk(fmt, skb->len);
  return 0;
}
