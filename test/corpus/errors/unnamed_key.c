// error: 2:10: map flows: key and leaf types must be named (give the struct a tag)
BPF_HASH(flows, struct { u32 saddr; u32 daddr; }, u64, 1024);
