// load: TRACEPOINT
// Nested implicit reads through bpf_get_current_task(), a stack trace per parent pid, a
// data_loc field, a multi-word license.
#include <linux/sched.h>

#define BPF_LICENSE Dual BSD/GPL

struct exec_t {
  u32 pid;
  u32 ppid;
  int stack_id;
  char filename[64];
};

BPF_STACK_TRACE(stacks, 64);
BPF_PERF_OUTPUT(execs);

TRACEPOINT_PROBE(sched, sched_process_exec) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct exec_t e = {};
  e.pid = args->pid;
  e.ppid = task->real_parent->tgid;
  e.stack_id = stacks.get_stackid(args, 0);
  TP_DATA_LOC_READ_CONST(e.filename, filename, sizeof(e.filename));
  execs.perf_submit(args, &e, sizeof(e));
  return 0;
}

int on_openat(struct tracepoint__syscalls__sys_enter_openat *args) {
  char name[32];
  bpf_probe_read_user_str(name, sizeof(name), (void *)args->filename);
  return 0;
}
