// strlen_hist: the values strlen() returns, as a log2 histogram. A uretprobe on libc's strlen
// (on the implementation glibc's IFUNC picks here; uprobes work on every kernel, so there is
// one form). FILTER_PID (an addition: -DFILTER_PID=<pid>) keeps one process, so a test can
// expect an exact histogram; without it every process counts, as in BCC.
#include <uapi/linux/ptrace.h>

BPF_HISTOGRAM(dist);

int count(struct pt_regs *ctx) {
#ifdef FILTER_PID
    if ((bpf_get_current_pid_tgid() >> 32) != FILTER_PID)
        return 0;
#endif
    dist.increment(bpf_log2l(PT_REGS_RC(ctx)));
    return 0;
}
