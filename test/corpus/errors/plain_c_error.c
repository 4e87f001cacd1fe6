// error: 4:10: use of undeclared identifier 'nope'
BPF_ARRAY(a, u64, 1);
int f(struct __sk_buff *skb) {
  return nope;
}
