// error: 5:12: get_stackid only available on stacktrace maps
BPF_HASH(counts, u32, u64);

int f(struct pt_regs *ctx) {
  int id = counts.get_stackid(ctx, 0);
  return id;
}
