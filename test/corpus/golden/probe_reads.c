// Golden: kprobe parameters and implicit kernel-memory reads.
#include <uapi/linux/ptrace.h>
#include <net/sock.h>

int trace_connect(struct pt_regs *ctx, struct sock *sk, int unused, int flags) {
  u16 dport = sk->__sk_common.skc_dport;
  struct sock *sk2 = (struct sock *)PT_REGS_PARM1(ctx);
  u32 family = sk2->__sk_common.skc_family;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  u32 ppid = task->real_parent->tgid;
  char comm[16];
  bpf_probe_read_kernel(comm, sizeof(comm), task->comm);
  return dport + family + ppid + flags;
}

int syscall__bind(struct pt_regs *ctx, int fd, struct sockaddr *addr) {
  return fd;
}
