// sync_timing: how long since the previous sync(2), printed through bpf_trace_printk when it
// was less than a second. One function for both forms: BCC's kprobe on the sync syscall's
// kernel function, or, where the kernel has no kprobes, the syscalls:sys_enter_sync tracepoint
// (a `void *ctx` program loads as either type). FILTER_PID (an addition: -DFILTER_PID=<pid>)
// keeps one process's syncs, so a test is not disturbed by another process's; without it every
// sync counts, as in BCC.
BPF_HASH(last);

int do_trace(void *ctx) {
#ifdef FILTER_PID
    if ((bpf_get_current_pid_tgid() >> 32) != FILTER_PID)
        return 0;
#endif
    u64 key = 0, now = bpf_ktime_get_ns();
    u64 *prev = last.lookup(&key);
    if (prev) {
        u64 delta = now - *prev;
        if (delta < 1000000000)
            bpf_trace_printk("%llu\n", delta / 1000000);
        last.delete(&key);
    }
    last.update(&key, &now);
    return 0;
}
