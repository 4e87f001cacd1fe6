// Count context switches per next pid and report each switch's comms through a perf buffer.
#include <linux/sched.h>

struct data_t {
  u32 prev_pid;
  u32 next_pid;
  char prev_comm[16];
  char next_comm[TASK_COMM_LEN];
};

BPF_HASH(switches, u32, u64, 1024);
BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_switch) {
  u32 pid = args->next_pid;
  switches.increment(pid);
  struct data_t data = {};
  data.prev_pid = args->prev_pid;
  data.next_pid = args->next_pid;
  bpf_probe_read_kernel(&data.prev_comm, sizeof(data.prev_comm), args->prev_comm);
  __builtin_memcpy(&data.next_comm, args->next_comm, sizeof(data.next_comm));
  events.perf_submit(args, &data, sizeof(data));
  return 0;
}
