// hello_fields: a "Hello, World!" trace_pipe message for every clone(2). One function for both
// forms: BCC's kprobe on the clone syscall's kernel function, or, where the kernel has no
// kprobes, the syscalls:sys_enter_clone tracepoint (a `void *ctx` program loads as either type).
int hello(void *ctx) {
  bpf_trace_printk("Hello, World!\n");
  return 0;
}
