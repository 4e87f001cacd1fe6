// error: 3:43: map counts must be declared with a BPF_TABLE macro
// a variable in a maps/ section is a table only when a BPF_TABLE-family macro declares it
__attribute__((section("maps/hash"))) u64 counts;

int f(struct __sk_buff *skb) {
  return 0;
}
