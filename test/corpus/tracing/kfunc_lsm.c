// load: none
// BTF-typed probes: fentry/fexit, LSM, fmod_ret (compiled; loading needs trampolines).
#include <linux/sched.h>

BPF_HASH(calls, u32, u64);

KFUNC_PROBE(tcp_v4_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len) {
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  calls.increment(pid);
  return 0;
}

KRETFUNC_PROBE(tcp_v4_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret) {
  if (ret)
    bpf_trace_printk("connect returned %d\n", ret);
  return 0;
}

LSM_PROBE(bpf, int cmd, union bpf_attr *attr, unsigned int size) {
  return 0;
}

KMOD_RET(security_file_open, struct file *file) {
  return 0;
}
