/** The kernel features tsbcc probes, with the option that enables each and what tsbcc does without it. */

/** One feature's static description. */
export interface FeatureInfo {
  /** Short name, e.g. `act_police`. */
  name: FeatureName;
  /** What it is. */
  description: string;
  /** The kernel config option that provides it. */
  kernelOption: string;
  /** What tsbcc does where it is missing. */
  fallback: string;
}

/** Every feature name. */
export const FEATURE_NAMES = [
  'btf',
  'clsact',
  'ingress',
  'cls_bpf',
  'act_police',
  'act_gact',
  'act_bpf',
  'act_mirred',
  'htb',
  'tbf',
  'sfq',
  'prio',
  'fq_codel',
  'netem',
  'ifb',
  'veth',
  'bridge',
  'vxlan',
  'dummy',
  '8021q',
  'kprobes',
  'fentry',
  'tracepoints',
  'raw_tracepoints',
  'uprobes',
  'perf_events',
  'ringbuf',
  'batch_ops',
  'devmap',
  'cpumap',
  'xskmap',
] as const;

/** A feature name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

const F = (name: FeatureName, description: string, kernelOption: string, fallback: string): FeatureInfo => ({
  name,
  description,
  kernelOption,
  fallback,
});

/** Descriptions of every feature, in display order. */
export const FEATURES: readonly FeatureInfo[] = [
  F(
    'btf',
    'kernel BTF (/sys/kernel/btf/vmlinux)',
    'CONFIG_DEBUG_INFO_BTF',
    'none: kernel types and CO-RE need BTF',
  ),
  F(
    'clsact',
    'clsact qdisc (tc ingress+egress hooks)',
    'CONFIG_NET_SCH_INGRESS',
    'ingress qdisc for ingress only',
  ),
  F('ingress', 'ingress qdisc', 'CONFIG_NET_SCH_INGRESS', 'clsact'),
  F('cls_bpf', 'BPF tc classifier', 'CONFIG_NET_CLS_BPF', 'none: tc programs cannot attach'),
  F(
    'act_police',
    'police action (rate limiting)',
    'CONFIG_NET_ACT_POLICE',
    'ifb + htb classes chosen by classid, or a token bucket in a BPF map',
  ),
  F(
    'act_gact',
    'generic action (pass/drop)',
    'CONFIG_NET_ACT_GACT',
    'direct-action verdicts from the program',
  ),
  F('act_bpf', 'BPF program as a tc action', 'CONFIG_NET_ACT_BPF', 'direct-action classifier'),
  F(
    'act_mirred',
    'mirred action (redirect/mirror)',
    'CONFIG_NET_ACT_MIRRED',
    'bpf_redirect / bpf_clone_redirect from the program',
  ),
  F('htb', 'HTB qdisc', 'CONFIG_NET_SCH_HTB', 'tbf for a single rate'),
  F('tbf', 'token bucket filter qdisc', 'CONFIG_NET_SCH_TBF', 'htb with one class'),
  F('sfq', 'SFQ qdisc', 'CONFIG_NET_SCH_SFQ', 'clsact egress for egress filters'),
  F('prio', 'prio qdisc', 'CONFIG_NET_SCH_PRIO', 'htb classes'),
  F('fq_codel', 'fq_codel qdisc', 'CONFIG_NET_SCH_FQ_CODEL', 'the default pfifo_fast/noqueue'),
  F(
    'netem',
    'netem qdisc (delay, loss)',
    'CONFIG_NET_SCH_NETEM',
    'none: delay and loss shaping raise NotSupportedError',
  ),
  F(
    'ifb',
    'intermediate functional block devices',
    'CONFIG_IFB',
    'token bucket in a BPF map for ingress limits',
  ),
  F('veth', 'veth pairs', 'CONFIG_VETH', 'none: topologies need veth'),
  F('bridge', 'Linux bridge', 'CONFIG_BRIDGE', 'none'),
  F('vxlan', 'VXLAN devices', 'CONFIG_VXLAN', 'none'),
  F('dummy', 'dummy devices', 'CONFIG_DUMMY', 'one end of a veth pair'),
  F(
    '8021q',
    '802.1Q VLAN devices',
    'CONFIG_VLAN_8021Q',
    'a tc program pushing/popping the tag (bpf_skb_vlan_push/pop)',
  ),
  F(
    'kprobes',
    'kprobes and kretprobes',
    'CONFIG_KPROBE_EVENTS',
    'the matching tracepoint (syscalls:*, sock:*, block:*, sched:*)',
  ),
  F(
    'fentry',
    'fentry/fexit (BPF trampolines)',
    'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS',
    'kprobes, else tracepoints',
  ),
  F('tracepoints', 'tracepoints through perf events', 'CONFIG_TRACEPOINTS', 'raw tracepoints'),
  F('raw_tracepoints', 'raw tracepoints', 'CONFIG_BPF_EVENTS', 'tracepoints'),
  F('uprobes', 'uprobes', 'CONFIG_UPROBE_EVENTS', 'none: user probes and USDT need uprobes'),
  F('perf_events', 'perf events', 'CONFIG_PERF_EVENTS', 'none'),
  F('ringbuf', 'BPF ring buffer', 'CONFIG_BPF_SYSCALL (5.8+)', 'perf buffer'),
  F('batch_ops', 'batch map operations', 'CONFIG_BPF_SYSCALL (5.6+)', 'get_next_key walks'),
  F(
    'devmap',
    'DEVMAP maps (XDP redirect to another device)',
    'CONFIG_BPF_SYSCALL (4.14+)',
    'bpf_redirect to one ifindex, or a tc mirred redirect',
  ),
  F(
    'cpumap',
    'CPUMAP maps (XDP redirect to another CPU)',
    'CONFIG_BPF_SYSCALL (4.15+)',
    'none: receive steering (RPS) outside BPF',
  ),
  F('xskmap', 'XSKMAP maps (XDP redirect to AF_XDP sockets)', 'CONFIG_XDP_SOCKETS', 'AF_PACKET sockets'),
];

/** The description of one feature. */
export function featureInfo(name: FeatureName): FeatureInfo {
  const f = FEATURES.find((x) => x.name === name);
  if (!f) throw new RangeError(`unknown feature ${name}`);
  return f;
}
