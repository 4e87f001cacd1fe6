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
    name: 'distributed_bridge',
    group: 'networking',
    summary: 'one bridge per VNI across N hosts over flow-based vxlan: multicast, mesh and dhcp modes',
    load: () => import('./networking/distributed_bridge/distributed_bridge.js'),
  },
];

/** The entry of an example by name, or undefined. */
export function findExample(name: string): ExampleEntry | undefined {
  return examples.find((e) => e.name === name);
}
