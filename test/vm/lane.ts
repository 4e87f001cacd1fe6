/**
 * The VM lane: kernel test files that need what this machine's kernel lacks (kprobes, fentry,
 * act_police/gact/bpf, netem, sfq, prio, fq_codel, 8021q, dummy). Each is a normal file under
 * test/kernel or test/examples whose tests skip here through feature probes; the VM lane runs
 * exactly these files in the Debian 6.1 guest, with their real assertions.
 */
export const vmLaneFiles: readonly string[] = [
  // BCC's tools in their kprobe forms (tsbcc tool ...)
  'test/kernel/tools-snoop.test.ts',
  'test/kernel/tools-block.test.ts',
  'test/kernel/tools-vfs.test.ts',
  'test/kernel/tools-tcp.test.ts',
  // egress under an sfq root qdisc, as BCC's simple_tc
  'test/examples/simple-tc.test.ts',
];
