/**
 * The VM lane: kernel test files that need what this machine's kernel lacks (kprobes, fentry,
 * act_police/gact/bpf, netem, sfq, prio, fq_codel, 8021q, dummy). Each is a normal file under
 * test/kernel or test/examples whose tests skip here through the feature probes
 * (test/kernel/helpers/require-features.ts: the reason printed and recorded); the VM lane
 * (`npm run test:vm`, test/vm/lane.test.ts) boots Debian's 6.1 kernel under qemu once and runs
 * exactly these files there, with their real assertions. A listed test that fails in the guest,
 * or skips there for a feature the guest has, fails the lane. Keep them compact: the guest runs
 * under software emulation, node ~5-10x slower than here (see docs/architecture.md).
 */
import type { FeatureName } from '../../src/features/index.js';

/** Test files the lane runs in the 6.1 guest, relative to the repository root. */
export const vmLaneFiles: readonly string[] = [
  // BCC's tools in their kprobe forms (tsbcc tool ...)
  'test/kernel/tools-snoop.test.ts',
  'test/kernel/tools-block.test.ts',
  'test/kernel/tools-vfs.test.ts',
  'test/kernel/tools-tcp.test.ts',
  'test/kernel/tools-funcs.test.ts',
  'test/kernel/tools-stacks.test.ts',
  // opensnoop, tcpconnect and tcpaccept --cgroupmap/--mntnsmap in their kprobe forms
  'test/kernel/tools-containers.test.ts',
  // egress under an sfq root qdisc, as BCC's simple_tc
  'test/examples/simple-tc.test.ts',
  // police/gact/bpf actions and RateLimit's police strategy, with traffic
  'test/kernel/tc-actions-traffic.test.ts',
  // netem delay in ping RTT; sfq, prio, fq_codel pass traffic
  'test/kernel/tc-qdiscs-traffic.test.ts',
  // a kprobe and a kretprobe count calls exactly
  'test/kernel/kprobe-counts.test.ts',
  // the tracing API's kprobe rows: kprobe/kretprobe by regex, maxactive through kprobe_events,
  // BPF.create's message for a kprobe that cannot attach
  'test/kernel/tracing-kprobes.test.ts',
  // BCC's tracing examples in their kprobe forms (and the tracepoint forms on 6.1's formats)
  'test/examples/tracing-examples.test.ts',
  // vlan sub-interfaces carry tagged pings; a dummy device's egress
  'test/kernel/vlan-dummy-devices.test.ts',
  // PerIpRateLimit's police path (act_police), with iperf3
  'test/kernel/per-ip-rate-limit.test.ts',
  // vlan_learning with real 8021q vlan devices on the client side
  'test/examples/vlan-learning.test.ts',
  // tsbcc ratelimit's police strategy (a police filter per class), with UDP
  'test/kernel/ratelimit-police.test.ts',
  // trace_pipe readers on private tracefs instances (6.1's bpf_trace_printk event, the
  // instances' removal on Ctrl-C and the reaper after SIGKILL)
  'test/kernel/trace-instance.test.ts',
];

/**
 * Features the 6.1 guest must report present (`tsbcc doctor` inside it): the ones this machine
 * lacks, which the lane exists to test, and the basics the lane's tests stand on.
 */
export const GUEST_FEATURES: readonly FeatureName[] = [
  'kprobes',
  'fentry',
  'act_police',
  'act_gact',
  'act_bpf',
  'sfq',
  'prio',
  'fq_codel',
  'netem',
  '8021q',
  'dummy',
  'btf',
  'clsact',
  'cls_bpf',
  'veth',
];
