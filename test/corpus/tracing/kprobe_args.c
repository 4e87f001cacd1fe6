// kprobe with typed arguments: the destination port of TCP connects.
#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <bcc/proto.h>

BPF_HASH(ports, u16, u64);

int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
  u16 dport = sk->__sk_common.skc_dport;
  ports.increment(bpf_ntohs(dport));
  return 0;
}

int kretprobe__tcp_v4_connect(struct pt_regs *ctx) {
  int ret = PT_REGS_RC(ctx);
  if (ret != 0)
    bpf_trace_printk("connect failed %d\n", ret);
  return 0;
}

int syscall__openat(struct pt_regs *ctx, int dfd, const char *filename, int flags) {
  char buf[64];
  bpf_probe_read_user_str(buf, sizeof(buf), filename);
  bpf_trace_printk("open %s flags %d\n", buf, flags);
  return 0;
}
