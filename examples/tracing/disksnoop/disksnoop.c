// disksnoop: one line per completed block request: size, flags and latency from issue to
// completion, keyed by the request pointer.
#include <uapi/linux/ptrace.h>
#include <linux/blk-mq.h>

BPF_HASH(start, struct request *);

// FILTER_DEV (an addition of tsbcc's: -DFILTER_DEV=<major << 20 | minor>) keeps one disk.
static inline int wanted(struct request *req)
{
#ifdef FILTER_DEV
    struct request_queue *q = 0;
    struct gendisk *disk = 0;
    int major = 0, minor = 0;
    bpf_probe_read_kernel(&q, sizeof(q), &req->q);
    bpf_probe_read_kernel(&disk, sizeof(disk), &q->disk);
    bpf_probe_read_kernel(&major, sizeof(major), &disk->major);
    bpf_probe_read_kernel(&minor, sizeof(minor), &disk->first_minor);
    return (major << 20 | minor) == FILTER_DEV;
#else
    return 1;
#endif
}

static inline void started(struct request *req)
{
    if (!wanted(req))
        return;
    // stash start timestamp by request ptr
    u64 ts = bpf_ktime_get_ns();
    start.update(&req, &ts);
}

static inline void completed(struct request *req)
{
    u64 *tsp, delta;
    tsp = start.lookup(&req);
    if (tsp != 0) {
        unsigned int len = 0, flags = 0;
        bpf_probe_read_kernel(&len, sizeof(len), &req->__data_len);
        bpf_probe_read_kernel(&flags, sizeof(flags), &req->cmd_flags);
        delta = bpf_ktime_get_ns() - *tsp;
        bpf_trace_printk("%d %x %d\n", len, flags, delta / 1000);
        start.delete(&req);
    }
}

// BCC's form: kprobes on the functions that start and end a request.
void trace_start(struct pt_regs *ctx, struct request *req) { started(req); }
void trace_completion(struct pt_regs *ctx, struct request *req) { completed(req); }

// Where the kernel has no kprobes: the block_rq_issue and block_rq_complete raw tracepoints,
// whose first argument is the request itself.
RAW_TRACEPOINT_PROBE(block_rq_issue)
{
    started((struct request *)ctx->args[0]);
    return 0;
}

RAW_TRACEPOINT_PROBE(block_rq_complete)
{
    completed((struct request *)ctx->args[0]);
    return 0;
}
