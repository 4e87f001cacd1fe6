// load: TRACEPOINT
// Hardware counters (perf_read, perf_counter_value), cgroup membership (check_current_task),
// build-id stack traces, task-local and inode-local storage (get / delete).
#include <linux/sched.h>
#include <linux/fs.h>

struct task_stat_t {
  u64 switches;
  u64 cycles;
};

struct inode_stat_t {
  u64 unlinks;
};

BPF_PERF_ARRAY(cycles, 128);
BPF_CGROUP_ARRAY(watched, 1);
BPF_STACK_TRACE_BUILDID(user_stacks, 256);
BPF_HASH(stack_counts, int, u64, 256);
BPF_HISTOGRAM(cycle_log2, int, 64);
BPF_TASK_STORAGE(task_stats, struct task_stat_t);
BPF_INODE_STORAGE(inode_stats, struct inode_stat_t);

// Cycles per context switch of the tasks in the watched cgroup, kept per task.
TRACEPOINT_PROBE(sched, sched_switch) {
  if (watched.check_current_task(0) != 1)
    return 0;
  u64 raw = cycles.perf_read(CUR_CPU_IDENTIFIER);
  struct bpf_perf_event_value val = {};
  if (cycles.perf_counter_value(CUR_CPU_IDENTIFIER, &val, sizeof(val)) != 0)
    return 0;
  cycle_log2.increment(bpf_log2l(val.counter));
  struct task_struct *task = bpf_get_current_task_btf();
  struct task_stat_t *st = task_stats.task_storage_get(task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!st)
    return 0;
  st->switches++;
  st->cycles = raw;
  int id = user_stacks.get_stackid(args, BPF_F_USER_STACK);
  if (id >= 0)
    stack_counts.increment(id);
  return 0;
}

// Forget a task's counters when it exits.
TRACEPOINT_PROBE(sched, sched_process_exit) {
  struct task_struct *task = bpf_get_current_task_btf();
  task_stats.task_storage_delete(task);
  return 0;
}

// Unlinks per inode; the storage goes when the last link does (loading needs BPF LSM with
// trampolines).
LSM_PROBE(inode_unlink, struct inode *dir, struct dentry *victim) {
  struct inode *inode = victim->d_inode;
  struct inode_stat_t *st = inode_stats.inode_storage_get(inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!st)
    return 0;
  st->unlinks++;
  if (inode->i_nlink <= 1)
    inode_stats.inode_storage_delete(inode);
  return 0;
}
