// hello_world: "Hello, World!" on trace_pipe for every clone(2).
//
// BCC's form: a kprobe on the clone syscall's kernel function (kprobe__sys_clone; tsbcc maps
// sys_clone to the running kernel's symbol, e.g. __x64_sys_clone, as BCC's autoload does).
int kprobe__sys_clone(void *ctx) {
  bpf_trace_printk("Hello, World!\n");
  return 0;
}

// Where the kernel has no kprobes: the clone syscall's entry tracepoint sees the same calls,
// in the same (calling) process.
TRACEPOINT_PROBE(syscalls, sys_enter_clone) {
  bpf_trace_printk("Hello, World!\n");
  return 0;
}
