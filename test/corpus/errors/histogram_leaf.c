// error: 2:34: histogram h must have an unsigned long long (u64) leaf
BPF_TABLE("histogram", int, u32, h, 16);
