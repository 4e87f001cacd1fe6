// error: 2:11: map stats: key and leaf types must be named (give the struct a tag)
BPF_ARRAY(stats, struct { u64 packets; u64 bytes; }, 4);
