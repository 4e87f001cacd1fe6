// Anonymous struct types as map key and leaf, bit-fields in leaves, and anonymous or local
// structs in perf and ring buffer output (compat class 4).
#include <uapi/linux/ptrace.h>

BPF_HASH(stats, int, struct { u64 a; u64 b; u64 c:36; u64 d:28; struct { u32 a; u32 b; } s; }, 10);
BPF_HASH(flows, struct { u32 saddr; u32 daddr; }, u64, 1024);
BPF_ARRAY(bits, struct {
  u32 flag:1;
  u32 kind:7;
  u32 count:24;
}, 4);
BPF_PERF_OUTPUT(events);
BPF_RINGBUF_OUTPUT(ring, 8);

int record(struct pt_regs *ctx) {
  int k = 1;
  typeof(stats.leaf) zero = {};
  typeof(stats.leaf) *s = stats.lookup_or_try_init(&k, &zero);
  if (s) {
    s->c += 1;
    s->s.b = 2;
  }
  typeof(flows.key) f = {.saddr = 1, .daddr = 2};
  u64 one = 1;
  flows.update(&f, &one);
  int i = 0;
  typeof(bits.leaf) *b = bits.lookup(&i);
  if (b) {
    b->flag = 1;
    b->count += 1;
  }
  struct {
    u64 ts;
    u32 pid;
  } data = {bpf_ktime_get_ns(), bpf_get_current_pid_tgid() >> 32};
  events.perf_submit(ctx, &data, sizeof(data));
  struct local_ev {
    u64 ts;
    u16 cpu;
  } ev = {bpf_ktime_get_ns(), bpf_get_smp_processor_id()};
  ring.ringbuf_output(&ev, sizeof(ev), 0);
  return 0;
}
// load: KPROBE
