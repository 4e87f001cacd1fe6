// task_switch: counts context switches by (previous pid, next pid).
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

struct key_t {
    u32 prev_pid;
    u32 curr_pid;
};

// BCC sizes this 1024, which a busy machine fills within seconds (then new pairs are dropped
// silently); 10240 leaves room.
BPF_HASH(stats, struct key_t, u64, 10240);

// BCC's form: a kprobe on finish_task_switch(prev), which runs in the task switched to.
int count_sched(struct pt_regs *ctx, struct task_struct *prev) {
    struct key_t key = {};
    u64 zero = 0, *val;

    key.curr_pid = bpf_get_current_pid_tgid();
    key.prev_pid = prev->pid;

    val = stats.lookup_or_try_init(&key, &zero);
    if (val) {
        (*val)++;
    }
    return 0;
}

// Where the kernel has no kprobes: sched:sched_switch sees the same switches (it fires in the
// task switched from, with both pids as fields).
TRACEPOINT_PROBE(sched, sched_switch) {
    struct key_t key = {};
    u64 zero = 0, *val;

    key.prev_pid = args->prev_pid;
    key.curr_pid = args->next_pid;

    val = stats.lookup_or_try_init(&key, &zero);
    if (val) {
        (*val)++;
    }
    return 0;
}
