/*
 * vfsreadlat: VFS read latency distribution, in microseconds.
 *
 * BCC's form: a kprobe and a kretprobe on vfs_read. Where the kernel has no kprobes, the
 * read(2) syscall's entry and exit tracepoints instead: an approximation, since vfs_read is
 * also reached from pread64, readv's fallbacks and in-kernel readers, and read(2) measures the
 * whole syscall. FILTER_PID (an addition of tsbcc's: -DFILTER_PID=<pid>) keeps one process.
 */
#include <uapi/linux/ptrace.h>

BPF_HASH(start, u32);
BPF_HISTOGRAM(dist);

static inline int wanted(void)
{
#ifdef FILTER_PID
    return (bpf_get_current_pid_tgid() >> 32) == FILTER_PID;
#else
    return 1;
#endif
}

static inline void entry(void)
{
    u32 pid;
    u64 ts;

    if (!wanted())
        return;
    pid = bpf_get_current_pid_tgid();
    ts = bpf_ktime_get_ns();
    start.update(&pid, &ts);
}

static inline void done(void)
{
    u32 pid;
    u64 *tsp, delta;

    pid = bpf_get_current_pid_tgid();
    tsp = start.lookup(&pid);

    if (tsp != 0) {
        delta = bpf_ktime_get_ns() - *tsp;
        dist.increment(bpf_log2l(delta / 1000));
        start.delete(&pid);
    }
}

int do_entry(struct pt_regs *ctx)
{
    entry();
    return 0;
}

int do_return(struct pt_regs *ctx)
{
    done();
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_read)
{
    entry();
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_read)
{
    done();
    return 0;
}
