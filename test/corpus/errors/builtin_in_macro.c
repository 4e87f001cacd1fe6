// error: 4:32: cannot use builtin bpf_trace_printk inside a macro
#define SAY(x) bpf_trace_printk("x=%d\n", x)

int f(struct __sk_buff *skb) { SAY(skb->len); return 0; }
