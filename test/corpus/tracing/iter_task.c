// load: none
// A task iterator writing each task's pid to the seq file.
#include <linux/sched.h>

BPF_ITER(task) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  if (!task)
    return 0;
  u32 pid = task->pid;
  bpf_seq_write(seq, &pid, sizeof(pid));
  return 0;
}
