/**
 * The kernel features tsbcc probes, with the option that enables each and what tsbcc does
 * without it. The tc kinds (qdiscs, classifiers, actions) are learnt from the tc object model's
 * registry (src/netlink/tc), each kind declaring its own feature; the rest are listed here.
 */
import { tcFeatures, type TcFeatureName } from '../netlink/tc/registry.js';

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

/** The features that are not tc kinds. */
type OtherFeatureName =
  | 'btf'
  | 'ifb'
  | 'veth'
  | 'bridge'
  | 'vxlan'
  | 'dummy'
  | '8021q'
  | 'kprobes'
  | 'fentry'
  | 'tracepoints'
  | 'raw_tracepoints'
  | 'uprobes'
  | 'perf_events'
  | 'ringbuf'
  | 'batch_ops'
  | 'devmap'
  | 'cpumap'
  | 'xskmap';

/** A feature name. */
export type FeatureName = OtherFeatureName | TcFeatureName;

const F = (
  name: OtherFeatureName,
  description: string,
  kernelOption: string,
  fallback: string,
): FeatureInfo => ({
  name,
  description,
  kernelOption,
  fallback,
});

const OTHER_FEATURES: readonly FeatureInfo[] = [
  F(
    'btf',
    'kernel BTF (/sys/kernel/btf/vmlinux)',
    'CONFIG_DEBUG_INFO_BTF',
    'none: kernel types and CO-RE need BTF',
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

/** Descriptions of every feature, in display order: BTF, the tc kinds, then the rest. */
export const FEATURES: readonly FeatureInfo[] = [
  ...OTHER_FEATURES.slice(0, 1),
  ...tcFeatures().map((f) => ({ ...f, name: f.name as TcFeatureName })),
  ...OTHER_FEATURES.slice(1),
];

/** Every feature name, in display order. */
export const FEATURE_NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);

/** The description of one feature. */
export function featureInfo(name: FeatureName): FeatureInfo {
  const f = FEATURES.find((x) => x.name === name);
  if (!f) throw new RangeError(`unknown feature ${name}`);
  return f;
}
