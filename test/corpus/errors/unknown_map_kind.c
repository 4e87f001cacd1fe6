// error: 2:30: unsupported map type: maps/bogus
BPF_TABLE("bogus", u32, u64, weird, 16);
