// error: 4:18: nested map-in-map is not supported (per_cpu_tables is itself a map of maps)
BPF_ARRAY(counters_tmpl, u64, 4);
BPF_ARRAY_OF_MAPS(per_cpu_tables, "counters_tmpl", 8);
BPF_HASH_OF_MAPS(per_user, u32, "per_cpu_tables", 16);
