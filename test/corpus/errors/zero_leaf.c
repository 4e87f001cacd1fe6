// error: 3:10: invalid zero-sized leaf in map empty_map
struct nothing {};
BPF_HASH(empty_map, u32, struct nothing);
