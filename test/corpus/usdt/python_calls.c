// load: KPROBE
// usdt: /usr/bin/python3.11 python:function__entry=on_call
// Count Python function calls by line number, and read the function's name through
// USDT arguments (2: funcname pointer, 3: line number).
#include <uapi/linux/ptrace.h>

struct call_t {
  char name[32];
  int line;
};
BPF_HASH(calls, int, u64, 1024);
BPF_PERF_OUTPUT(events);

int on_call(struct pt_regs *ctx) {
  struct call_t c = {};
  bpf_usdt_readarg(3, ctx, &c.line);
  bpf_usdt_readarg_p(2, ctx, &c.name, sizeof(c.name));
  calls.increment(c.line);
  events.perf_submit(ctx, &c, sizeof(c));
  return 0;
}
