// error: 3:46: bpf_trace_printk takes at most 3 arguments after the format
int f(struct __sk_buff *skb) {
  bpf_trace_printk("%d %d %d %d\n", 1, 2, 3, 4);
  return 0;
}
