// A pointer returned as an int: a warning in the clang BCC 0.26 is built with, an error by
// default in clang >= 15. BCC's own tests rely on the warning (a program's own struct with a
// pointer member read back as an integer).
#include <uapi/linux/ptrace.h>

struct sock {
  u32 *sk_daddr;
};

int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *skp) {
  return *(&skp->sk_daddr);
}
