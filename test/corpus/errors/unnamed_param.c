// error: 3:31: arguments to BPF program definition must be named
#include <uapi/linux/ptrace.h>
int f(struct pt_regs *ctx, int) {
  return 0;
}
