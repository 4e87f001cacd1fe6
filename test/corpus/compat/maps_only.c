// A program with only maps (compat class 1): compiling it creates its maps.
// maps-only
struct flow_t {
  u32 saddr;
  u32 daddr;
};
BPF_HASH(flows, struct flow_t, u64, 256);
BPF_ARRAY(totals, u64, 4);
BPF_PERCPU_ARRAY(per_cpu, u32, 2);
