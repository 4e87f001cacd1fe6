// cflags: -DBPF_LICENSE=GPL
// error: 0:0: BPF_LICENSE cannot be specified through cflags: #define BPF_LICENSE in the program instead
int f(struct __sk_buff *skb) { return 0; }
