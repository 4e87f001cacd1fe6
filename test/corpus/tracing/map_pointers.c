// load: KPROBE
// Kernel pointers through a map and a static helper: a connect's sock saved at entry and read
// at return (tcpconnect's pattern), and a helper that returns a field of a kernel pointer.
#include <uapi/linux/ptrace.h>
#include <net/sock.h>

BPF_HASH(currsock, u32, struct sock *);
BPF_HASH(dports, u16, u64);

static inline struct sock_common *common_of(struct sock *sk) {
  return &sk->__sk_common;
}

static inline u16 dport_of(struct sock *sk) {
  return sk->__sk_common.skc_dport;
}

int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
  u32 tid = bpf_get_current_pid_tgid();
  currsock.update(&tid, &sk);
  return 0;
}

int kretprobe__tcp_v4_connect(struct pt_regs *ctx) {
  u32 tid = bpf_get_current_pid_tgid();
  struct sock **skpp = currsock.lookup(&tid);
  if (skpp == 0)
    return 0;
  struct sock *skp = *skpp;
  u16 dport = dport_of(skp);
  struct sock_common *common = common_of(skp);
  u16 family = common->skc_family;
  dports.increment(dport + family);
  currsock.delete(&tid);
  return 0;
}
