// bench/events: cfg[2] (1-16) 64-byte events per getppid() of the producer process (cfg[0] =
// its pid), to a ring buffer (256 pages) or a perf buffer (cfg[1]: 1 = ring, 2 = perf). stats[0]
// counts events the program could not hand over (ring full / perf ring full).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
  __u32 pid;
  __u32 cpu;
  __u64 seq;
  __u64 ts;
  char comm[16];
  __u64 pad[3];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 3);
} cfg SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 2);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 4096);
} rb SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, 4);
  __uint(value_size, 4);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int produce(void *ctx) {
  __u32 k0 = 0, k1 = 1, k2 = 2;
  __u32 *pid = bpf_map_lookup_elem(&cfg, &k0);
  __u32 *mode = bpf_map_lookup_elem(&cfg, &k1);
  __u32 *burst = bpf_map_lookup_elem(&cfg, &k2);
  if (!pid || !mode || !burst || (bpf_get_current_pid_tgid() >> 32) != *pid) return 0;
  __u64 *seq = bpf_map_lookup_elem(&stats, &k1);
  __u64 *drops = bpf_map_lookup_elem(&stats, &k0);
  if (!seq || !drops) return 0;
  struct event e = {};
  e.pid = *pid;
  e.cpu = bpf_get_smp_processor_id();
  bpf_get_current_comm(e.comm, sizeof e.comm);
  for (int i = 0; i < 16; i++) {
    if (i >= *burst) break;
    e.seq = (*seq)++;
    e.ts = bpf_ktime_get_ns();
    long rc = *mode == 1 ? bpf_ringbuf_output(&rb, &e, sizeof e, 0)
                         : bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof e);
    if (rc) __sync_fetch_and_add(drops, 1);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
