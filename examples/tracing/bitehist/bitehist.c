// bitehist: block I/O sizes as a log2 and a linear histogram, in kbytes.
#include <uapi/linux/ptrace.h>
#include <linux/blk-mq.h>

BPF_HISTOGRAM(dist);
// BCC declares dist_linear with the default 64 slots, which drops every request of 64 KiB or
// more from the linear histogram; 1025 slots is what print_linear_hist can show (1 MiB).
BPF_HISTOGRAM(dist_linear, int, 1025);

// BCC's form: a kprobe on the function that ends a request (its first argument).
// FILTER_DEV (an addition of tsbcc's: -DFILTER_DEV=<major << 20 | minor>) keeps one disk.
int trace_req_done(struct pt_regs *ctx, struct request *req)
{
#ifdef FILTER_DEV
    struct gendisk *disk = req->q->disk;
    if ((disk->major << 20 | disk->first_minor) != FILTER_DEV)
        return 0;
#endif
    dist.increment(bpf_log2l(req->__data_len / 1024));
    dist_linear.increment(req->__data_len / 1024);
    return 0;
}

// Where the kernel has no kprobes: block:block_rq_complete fires as a request completes, with
// its size in sectors.
TRACEPOINT_PROBE(block, block_rq_complete)
{
#ifdef FILTER_DEV
    if (args->dev != FILTER_DEV)
        return 0;
#endif
    u64 kbytes = ((u64)args->nr_sector << 9) / 1024;
    dist.increment(bpf_log2l(kbytes));
    dist_linear.increment(kbytes);
    return 0;
}
