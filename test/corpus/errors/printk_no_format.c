// error: 3:20: too few arguments to function call, at least argument 'fmt' must be specified
int f(struct __sk_buff *skb) {
  bpf_trace_printk();
  return 0;
}
