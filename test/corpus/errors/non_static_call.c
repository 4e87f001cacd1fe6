// error: 6:10: cannot call non-static helper function helper
int helper(struct __sk_buff *skb) {
  return skb->len;
}
int f(struct __sk_buff *skb) {
  return helper(skb);
}
