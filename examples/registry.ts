/**
 * The examples `tsbcc example NAME` runs, and `tsbcc example --list` lists. Each entry loads
 * its module on demand; the module exports `main(argv)`, which parses the example's own
 * options (commander, with --help) and resolves with the exit code.
 *
 * To add an example: write examples/<group>/<name>/<name>.ts exporting `main` (see
 * examples/common/cli.ts for the shared options and modes) and add one entry below.
 */

/** What an example module exports. */
export interface ExampleModule {
  /** Runs the example with its command-line arguments (without the name); resolves with the exit code. */
  main(argv: readonly string[]): Promise<number>;
}

/** One runnable example. */
export interface ExampleEntry {
  name: string;
  /** `networking`, `tracing`, ... (the folder under examples/). */
  group: string;
  /** One line for the list. */
  summary: string;
  load(): Promise<ExampleModule>;
}

/** Every example, in the order `--list` shows them. */
export const examples: readonly ExampleEntry[] = [
  {
    name: 'simple_tc',
    group: 'networking',
    summary: 'the smallest tc classifier on ingress and egress, with proof that it ran',
    load: () => import('./networking/simple_tc/simple_tc.js'),
  },
  {
    name: 'neighbor_sharing',
    group: 'networking',
    summary: 'per-IP rate limiting: neighbours share 128 kbit/s, everyone else 1 Mbit/s',
    load: () => import('./networking/neighbor_sharing/neighbor_sharing.js'),
  },
  {
    name: 'vlan_learning',
    group: 'networking',
    summary: 'clients and workers with the same addresses, kept apart only by VLAN; per-MAC counters',
    load: () => import('./networking/vlan_learning/vlan_learning.js'),
  },
  {
    name: 'tunnel_monitor',
    group: 'networking',
    summary: 'vxlan flows of 9 hosts and 4 VNIs counted on the underlay, live chord diagram and /metrics',
    load: () => import('./networking/tunnel_monitor/tunnel_monitor.js'),
  },
  {
    name: 'distributed_bridge',
    group: 'networking',
    summary: 'one bridge per VNI across N hosts over flow-based vxlan: multicast, mesh and dhcp modes',
    load: () => import('./networking/distributed_bridge/distributed_bridge.js'),
  },
  {
    name: 'hello_world',
    group: 'tracing',
    summary: '"Hello, World!" on trace_pipe for every clone(2)',
    load: () => import('./tracing/hello_world/hello_world.js'),
  },
  {
    name: 'hello_perf_output',
    group: 'tracing',
    summary: '"Hello, perf_output!" for every clone(2), through a perf buffer',
    load: () => import('./tracing/hello_perf_output/hello_perf_output.js'),
  },
  {
    name: 'hello_fields',
    group: 'tracing',
    summary: '"Hello, World!" for every clone(2), each trace_pipe line printed as TIME(s) COMM PID MESSAGE',
    load: () => import('./tracing/hello_fields/hello_fields.js'),
  },
  {
    name: 'mallocstacks',
    group: 'tracing',
    summary: 'bytes allocated by malloc() per user stack of one process (uprobe)',
    load: () => import('./tracing/mallocstacks/mallocstacks.js'),
  },
  {
    name: 'strlen_count',
    group: 'tracing',
    summary: "strlen()'s strings counted, system-wide (uprobe on the implementation glibc picks)",
    load: () => import('./tracing/strlen_count/strlen_count.js'),
  },
  {
    name: 'strlen_snoop',
    group: 'tracing',
    summary: 'the strings one process passes to strlen(), one line each (uprobe, trace_pipe)',
    load: () => import('./tracing/strlen_snoop/strlen_snoop.js'),
  },
  {
    name: 'strlen_hist',
    group: 'tracing',
    summary: "histogram of strlen()'s return values every second (uretprobe)",
    load: () => import('./tracing/strlen_hist/strlen_hist.js'),
  },
  {
    name: 'sync_timing',
    group: 'tracing',
    summary: 'syncs less than a second after the previous one, with the gap',
    load: () => import('./tracing/sync_timing/sync_timing.js'),
  },
  {
    name: 'trace_fields',
    group: 'tracing',
    summary: 'PID and message of each trace_pipe line, trace_print("{1} {5}")',
    load: () => import('./tracing/trace_fields/trace_fields.js'),
  },
  {
    name: 'task_switch',
    group: 'tracing',
    summary: 'context switches counted per (prev pid, next pid)',
    load: () => import('./tracing/task_switch/task_switch.js'),
  },
  {
    name: 'bitehist',
    group: 'tracing',
    summary: 'block I/O size histograms, log2 and linear',
    load: () => import('./tracing/bitehist/bitehist.js'),
  },
  {
    name: 'disksnoop',
    group: 'tracing',
    summary: 'one line per block I/O: type, bytes, latency',
    load: () => import('./tracing/disksnoop/disksnoop.js'),
  },
  {
    name: 'vfsreadlat',
    group: 'tracing',
    summary: 'vfs_read latency histogram every interval',
    load: () => import('./tracing/vfsreadlat/vfsreadlat.js'),
  },
  {
    name: 'tcpv4connect',
    group: 'tracing',
    summary: 'every IPv4 TCP connect: pid, comm, addresses, port',
    load: () => import('./tracing/tcpv4connect/tcpv4connect.js'),
  },
];

/** The entry of an example by name, or undefined. */
export function findExample(name: string): ExampleEntry | undefined {
  return examples.find((e) => e.name === name);
}
