// error: 3:75: too many arguments, bcc only supports in-register parameters
#include <uapi/linux/ptrace.h>
int f(struct pt_regs *ctx, int a, int b, int c, int d, int e, int f2, int g) {
  return a + b + c + d + e + f2 + g;
}
