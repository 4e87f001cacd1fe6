// load: KPROBE
// Register macros (PT_REGS_PARMn_SYSCALL, SP / IP / FP), tracepoint __data_loc strings read
// with TP_DATA_LOC_READ and TP_DATA_LOC_READ_STR, and bpf_log2 buckets.
#include <uapi/linux/ptrace.h>

struct sendto_t {
  int fd;
  u32 flags;
  u64 buf;
  u64 len;
  u64 addr;
  int addrlen;
  u32 len_log2;
  u64 sp;
  u64 ip;
  u64 fp;
};

struct irq_name_t {
  char name[32];
};

// TP_DATA_LOC_READ copies as many bytes as the record says (up to 64 KiB): into a map value
struct name_buf_t {
  char bytes[65536];
};

BPF_PERF_OUTPUT(sends);
BPF_HASH(irq_counts, struct irq_name_t, u64, 256);
BPF_ARRAY(name_scratch, struct name_buf_t, 1);
BPF_HISTOGRAM(name_lengths, int, 32);

// For a kprobe on __x64_sys_sendto: the syscall's arguments through the wrapper's pt_regs.
int on_sys_sendto(struct pt_regs *ctx) {
  struct sendto_t e = {};
  e.fd = PT_REGS_PARM1_SYSCALL(ctx);
  e.buf = PT_REGS_PARM2_SYSCALL(ctx);
  e.len = PT_REGS_PARM3_SYSCALL(ctx);
  e.flags = PT_REGS_PARM4_SYSCALL(ctx);
  e.addr = PT_REGS_PARM5_SYSCALL(ctx);
  e.addrlen = PT_REGS_PARM6_SYSCALL(ctx);
  e.len_log2 = bpf_log2(e.len);
  e.sp = PT_REGS_SP(ctx);
  e.ip = PT_REGS_IP(ctx);
  e.fp = PT_REGS_FP(ctx);
  sends.perf_submit(ctx, &e, sizeof(e));
  return 0;
}

// Count interrupts by handler name; histogram of the names' lengths.
TRACEPOINT_PROBE(irq, irq_handler_entry) {
  struct irq_name_t key = {};
  TP_DATA_LOC_READ_STR(key.name, name, sizeof(key.name));
  irq_counts.increment(key);
  int zero = 0;
  struct name_buf_t *buf = name_scratch.lookup(&zero);
  if (!buf)
    return 0;
  TP_DATA_LOC_READ(buf->bytes, name);
  u32 len = args->data_loc_name >> 16;
  name_lengths.increment(bpf_log2(len));
  return 0;
}
