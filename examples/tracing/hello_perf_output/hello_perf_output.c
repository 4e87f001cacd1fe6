// hello_perf_output: "Hello, World!" through a perf buffer instead of trace_pipe. One record
// per clone(2): the caller's pid (the low half of pid_tgid, as BCC), a timestamp and its comm.
// BCC attaches hello as a kprobe on the clone syscall; without kprobes it goes on the
// syscalls:sys_enter_clone tracepoint (a `void *ctx` program loads as either type).
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u64 ts;
    char comm[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(events);

int hello(void *ctx) {
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid();
    data.ts = bpf_ktime_get_ns();
    bpf_get_current_comm(&data.comm, sizeof(data.comm));

    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}
