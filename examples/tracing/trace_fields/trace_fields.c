// trace_fields: one trace_pipe message per clone(2). The same function serves both forms: BCC
// attaches it as a kprobe on the clone syscall's kernel function; where the kernel has no
// kprobes it goes on the syscalls:sys_enter_clone tracepoint (a `void *ctx` program loads as
// either type).
int hello(void *ctx) {
  bpf_trace_printk("Hello, World!\n");
  return 0;
}
