// simple_tc: a classifier that lets every packet continue.
int hello(struct __sk_buff *skb) {
  return 1;
}
