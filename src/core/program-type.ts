/**
 * BPF program and attach types with the kernel's numbers (include/uapi/linux/bpf.h), and the
 * BCC names users pass to loadFunc (`SOCKET_FILTER`, `SCHED_CLS`, ...).
 */

/** enum bpf_prog_type. */
export const ProgramType = {
  UNSPEC: 0,
  SOCKET_FILTER: 1,
  KPROBE: 2,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  TRACEPOINT: 5,
  XDP: 6,
  PERF_EVENT: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
  SOCK_OPS: 13,
  SK_SKB: 14,
  CGROUP_DEVICE: 15,
  SK_MSG: 16,
  RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20,
  SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22,
  CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25,
  TRACING: 26,
  STRUCT_OPS: 27,
  EXT: 28,
  LSM: 29,
  SK_LOOKUP: 30,
  SYSCALL: 31,
  NETFILTER: 32,
} as const;

/** A BCC program-type name, e.g. `SCHED_CLS`. */
export type ProgramTypeName = keyof typeof ProgramType;

/** enum bpf_attach_type (the members tsbcc uses). */
export const AttachType = {
  CGROUP_INET_INGRESS: 0,
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  MODIFY_RETURN: 26,
  LSM_MAC: 27,
  TRACE_ITER: 28,
  XDP: 37,
} as const;

/** The BCC name of a kernel program-type number (`UNKNOWN(<n>)` when not known). */
export function programTypeName(type: number): string {
  for (const [k, v] of Object.entries(ProgramType)) if (v === type) return k;
  return `UNKNOWN(${type})`;
}

/** Whether a string is a known BCC program-type name. */
export function isProgramTypeName(s: string): s is ProgramTypeName {
  return Object.prototype.hasOwnProperty.call(ProgramType, s);
}
