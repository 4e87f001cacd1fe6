/**
 * The tour (`npm start`): what this kernel offers, a socket filter compiled in-process counting
 * pings between two namespaces, then every networking example in `--duration` mode, one after
 * the other, and a summary table of what each showed (rates against limits, ping matrices, flow
 * counts, per-MAC counters). Each example removes its testbed when it ends, also on failure and
 * on Ctrl-C (the exit registry), so the tour leaves nothing behind. Exit code 0 only if every
 * example's behaviour held.
 *
 * `node dist/examples/demo.js --only simple_tc,tunnel_monitor` runs a subset (for tests).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject, compile, features, Network, PacketSocket, Topology } from '../src/index.js';
import { renderFeatureTable } from '../src/cli/doctor.js';
import type { LogFn, RunMode } from './common/cli.js';
import { formatChecks, formatTable, reportOk, type ExampleReport } from './common/report.js';
import { isMainModule, sourceDirOf } from './common/paths.js';

/** One stop of the tour: an example run in --duration mode. */
export interface TourStop {
  name: string;
  /** What it demonstrates, one line. */
  shows: string;
  run(mode: RunMode, log: LogFn): Promise<ExampleReport>;
}

/** What one stop produced. */
export interface TourResult {
  name: string;
  ok: boolean;
  /** The testbed's prefix (its namespaces were PREFIX-*), when the example got that far. */
  prefix?: string;
  seconds: number;
  summary: string[];
  /** Set when the example threw instead of reporting. */
  error?: string;
}

/** The networking examples in the order the tour runs them, with the durations it gives them. */
export const tourStops: readonly TourStop[] = [
  {
    name: 'simple_tc',
    shows: 'the smallest tc classifier on ingress and egress, run counts from the program itself',
    run: async (mode, log) =>
      (await import('./networking/simple_tc/simple_tc.js')).runSimpleTc({ mode, log }),
  },
  {
    name: 'neighbor_sharing',
    shows: 'per-IP rate limiting: neighbours share 128 kbit/s, everyone else gets 1 Mbit/s (iperf3)',
    run: async (_mode, log) =>
      (await import('./networking/neighbor_sharing/neighbor_sharing.js')).runNeighborSharing({
        mode: { kind: 'duration', seconds: 3 },
        log,
      }),
  },
  {
    name: 'vlan_learning',
    shows: 'same-address clients and workers kept apart by VLAN only; per-MAC counters',
    run: async (mode, log) =>
      (await import('./networking/vlan_learning/vlan_learning.js')).runVlanLearning({ mode, log }),
  },
  {
    name: 'tunnel_monitor',
    shows: 'vxlan flows of 9 hosts and 4 VNIs counted on the underlay, equal to what ping sent',
    run: async (mode, log) =>
      (await import('./networking/tunnel_monitor/tunnel_monitor.js')).runTunnelMonitor({ mode, log }),
  },
  {
    name: 'distributed_bridge',
    shows: 'one bridge per VNI across 3 hosts over flow-based vxlan (multicast): full ping matrix',
    run: async (mode, log) =>
      (await import('./networking/distributed_bridge/distributed_bridge.js')).runDistributedBridge({
        mode,
        log,
      }),
  },
];

async function socketFilterIntro(): Promise<void> {
  const topology = new Topology('demo').hosts('alice', 'bob');
  topology.link(
    { host: 'alice', ifname: 'eth0', addresses: ['10.77.0.1/24'] },
    { host: 'bob', ifname: 'eth0', addresses: ['10.77.0.2/24'] },
  );
  await Network.run(topology, async (net) => {
    console.log(
      `\n== socket filter: counting pings from alice (${net.nsName('alice')}) at bob (${net.nsName('bob')}) ==`,
    );
    let t = performance.now();
    const spec = await compile({
      file: join(sourceDirOf(import.meta.url), 'socket-filter', 'echo-counter.c'),
    });
    console.log(
      `compiled echo-counter.c in-process: ${spec.elf.length} bytes of BPF ELF in ${(performance.now() - t).toFixed(1)} ms`,
    );
    t = performance.now();
    using obj = BpfObject.create(spec);
    const prog = obj.loadFunc('count_echo', 'SOCKET_FILTER');
    console.log(`loaded ${prog.description} in ${(performance.now() - t).toFixed(1)} ms`);
    using sock = await PacketSocket.open({ netns: net.nsName('bob'), interface: 'eth0' });
    const link = sock.attach(prog);
    const ping = await net.exec('alice', ['ping', '-c', '5', '-i', '0.1', '-q', '10.77.0.2']);
    console.log(ping.stdout.trim());
    const counts = obj.map('echo_requests');
    for (const key of counts.keys()) {
      console.log(`echo requests from ${[...key].join('.')}: ${counts.lookup(key)?.readBigUInt64LE(0)}`);
    }
    await link.close();
  });
  console.log('removed the testbed, the filter and the program.');
}

/** Runs the stops one after the other (each ends its own testbed), collecting their results. */
export async function runTour(stops: readonly TourStop[], log: LogFn): Promise<TourResult[]> {
  const results: TourResult[] = [];
  for (const [i, stop] of stops.entries()) {
    log(`\n== ${i + 1}/${stops.length} ${stop.name}: ${stop.shows} ==`);
    const t0 = performance.now();
    try {
      const report = await stop.run({ kind: 'duration', seconds: 1 }, (l) =>
        log(`  ${l.replace(/\n/g, '\n  ')}`),
      );
      log(`  ${formatChecks(report.checks).replace(/\n/g, '\n  ')}`);
      results.push({
        name: stop.name,
        ok: reportOk(report),
        prefix: report.prefix,
        seconds: (performance.now() - t0) / 1000,
        summary: report.summary,
      });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      log(`  ${stop.name} failed: ${error}`);
      results.push({
        name: stop.name,
        ok: false,
        seconds: (performance.now() - t0) / 1000,
        summary: [],
        error,
      });
    }
  }
  return results;
}

/** The tour's closing table: one block per example, its verdict, its time and what it showed. */
export function formatTourSummary(results: readonly TourResult[]): string {
  const rows: string[][] = [['example', 'held', 'time', 'testbed', 'what it showed']];
  for (const r of results) {
    const lines = r.error !== undefined ? [`error: ${r.error}`] : r.summary;
    rows.push([r.name, r.ok ? 'yes' : 'NO', `${r.seconds.toFixed(1)} s`, r.prefix ?? '-', lines[0] ?? '']);
    for (const line of lines.slice(1)) rows.push(['', '', '', '', line]);
  }
  return formatTable(rows);
}

/** Named namespaces (/run/netns) that belong to one of the testbeds `prefixes`. */
function leftNamespaces(prefixes: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  return names.filter((n) => prefixes.some((p) => n.startsWith(`${p}-`)));
}

async function main(argv: readonly string[]): Promise<number> {
  const onlyArg = argv.indexOf('--only');
  const only = onlyArg >= 0 ? (argv[onlyArg + 1] ?? '').split(',') : undefined;
  const unknown = only?.filter((n) => !tourStops.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `demo: --only takes names of ${tourStops.map((s) => s.name).join(', ')}; not ${unknown.join(', ')}`,
    );
    return 2;
  }
  const t0 = performance.now();
  console.log('== tsbcc: kernel features ==');
  console.log(renderFeatureTable((await features()).list()));
  await socketFilterIntro();

  const stops = only ? tourStops.filter((s) => only.includes(s.name)) : tourStops;
  const results = await runTour(stops, (l) => console.log(l));
  console.log(
    `\n== the tour: ${stops.length} examples in ${((performance.now() - t0) / 1000).toFixed(1)} s ==`,
  );
  console.log(formatTourSummary(results));
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  console.log(
    failed.length === 0
      ? '\nevery example showed its behaviour.'
      : `\nthe behaviour did NOT hold in: ${failed.join(', ')}`,
  );
  const left = leftNamespaces(results.flatMap((r) => (r.prefix !== undefined ? [r.prefix] : [])));
  console.log(
    left.length === 0
      ? 'no namespace of the tour is left (/run/netns checked).'
      : `left behind: ${left.join(', ')}`,
  );
  return failed.length === 0 && left.length === 0 ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}
