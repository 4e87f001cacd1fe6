/**
 * tunnel_monitor: VXLAN flows seen from the underlay, with a live chord diagram and Prometheus
 * metrics (BCC's examples/networking/tunnel_monitor).
 *
 * Testbed `tunnel_monitor` (BCC's): 9 hosts, 4 VNIs of multicast vxlan (10000-10003), a bridge
 * and a client per VNI per host. tsbcc's VxlanFlowMonitor recipe watches the hosts' underlay
 * interfaces (eth0): by default the egress of every host, so each tunnelled packet is counted
 * once, where it leaves its sender; `--watch host0` watches host0's eth0 both ways, as BCC did.
 * Flows are keyed by outer pair, VNI and inner pair, with what each end sent (tx) and received
 * (rx); outer broadcast/multicast (the VNIs' group traffic) is skipped and counted; inner frames
 * that are not IPv4 (ARP) are counted per outer pair and VNI.
 *
 * The traffic generator (traffic.ts) spreads pings of several sizes over many client pairs
 * (no tmux). The dashboard (web/) draws the flows with d3 and updates live; /metrics exports
 * them for Prometheus.
 *
 * --duration S: one round of S seconds of traffic; every planned pair's flow must hold exactly
 * the echo requests and replies ping counted, byte for byte, and nothing else but ARP.
 */
import {
  FlowTracker,
  flowId,
  startDashboard,
  VxlanFlowMonitor,
  vxlanFlowRegistry,
  vxlanFlowSource,
  type DashboardServer,
  type FlowSample,
  type VxlanFlow,
} from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';
import {
  choiceOption,
  exampleCommand,
  numberOption,
  runExampleMain,
  runIfMain,
  type CommonRunOptions,
  type LogFn,
} from '../../common/cli.js';
import { holdUntilStopped } from '../../common/interactive.js';
import { Checks, formatTable, type ExampleReport } from '../../common/report.js';
import {
  clientIp,
  hostIp,
  planTraffic,
  runRound,
  startTrafficLoop,
  type PingPair,
  type PingResult,
} from './traffic.js';

const HOSTS = 9;
const VNIS = [10000, 10001, 10002, 10003] as const;
/** Outer Ethernet + IPv4 + UDP + VXLAN, inner Ethernet + IPv4 + ICMP around a ping's payload. */
const ICMP_OVERHEAD = 14 + 20 + 8 + 8 + 14 + 20 + 8;

/** Controls the running example from a test (interactive mode, once the dashboard is up). */
export interface TunnelMonitorControl {
  /** The dashboard, `http://127.0.0.1:PORT/` (flows.json and metrics beside it). */
  url: string;
  plan: readonly PingPair[];
  /**
   * Ends the traffic (the pings running now included) and the periodic samples until
   * resumeTraffic(); sampleNow() still samples, so the dashboard shows exactly that sample.
   */
  pauseTraffic(): Promise<void>;
  resumeTraffic(): void;
  /** Takes a sample now (the dashboard serves the latest). */
  sampleNow(): FlowSample;
}

/** Options of {@link runTunnelMonitor}. */
export interface TunnelMonitorOptions extends CommonRunOptions {
  /** all: every host's eth0 egress (default); host0: host0's eth0 both ways, as BCC. */
  watch?: 'all' | 'host0';
  /** Client pairs the generator uses (default 24). */
  pairs?: number;
  /** Seed of the traffic plan (default: random). */
  seed?: number;
  /** Dashboard port (interactive: default 8080; 0 = any). In --duration mode only when given. */
  port?: number;
  /** Milliseconds between two samples of the flow table (default 2000). */
  sampleMs?: number;
  /** Seconds of one traffic round in interactive mode (default 10). */
  roundSeconds?: number;
  /** Called once the dashboard is up in interactive mode. */
  onServing?: (ctl: TunnelMonitorControl) => void;
}

/** A planned pair's flow as expected from what ping counted, and as found. */
export interface PairCheck {
  pair: PingResult;
  expected: { txPackets: number; txBytes: number; rxPackets: number; rxBytes: number };
  found?: VxlanFlow;
}

/** What the example observed. */
export interface TunnelMonitorResult extends ExampleReport {
  watch: 'all' | 'host0';
  seed: number;
  plan: PingPair[];
  results: PingResult[];
  /** The last sample of the flow table. */
  sample: FlowSample;
  pairChecks: PairCheck[];
  /** Flows neither planned nor ARP of a planned pair. */
  unexpected: VxlanFlow[];
  /** The Prometheus exposition at the end. */
  metrics: string;
}

/** The flow a pair's pings land in, and what ping's counts say it must hold. */
export function expectedFlow(p: PingResult): { id: string; expected: PairCheck['expected'] } {
  const perPing = ICMP_OVERHEAD + p.size;
  const fromIsA = p.from < p.to; // host i is 172.16.1.(100+i): a smaller index, a smaller address
  const [a, b] = fromIsA ? [p.from, p.to] : [p.to, p.from];
  const requests = { packets: p.sent, bytes: p.sent * perPing };
  const replies = { packets: p.received, bytes: p.received * perPing };
  const [tx, rx] = fromIsA ? [requests, replies] : [replies, requests];
  return {
    id: flowId({
      outerA: hostIp(a),
      outerB: hostIp(b),
      vni: VNIS[p.vni] as number,
      innerA: clientIp(a, p.vni),
      innerB: clientIp(b, p.vni),
    }),
    expected: { txPackets: tx.packets, txBytes: tx.bytes, rxPackets: rx.packets, rxBytes: rx.bytes },
  };
}

/** A flow table as text. */
export function formatFlows(flows: readonly VxlanFlow[], hostName: (ip: string) => string): string {
  return formatTable([
    ['vni', 'endpoint a', 'endpoint b', 'inner a', 'inner b', 'tx pkts', 'tx bytes', 'rx pkts', 'rx bytes'],
    ...flows.map((f) => [
      String(f.vni),
      hostName(f.outerA),
      hostName(f.outerB),
      f.ipv4 ? f.innerA : 'non-IPv4',
      f.ipv4 ? f.innerB : '',
      String(f.txPackets),
      String(f.txBytes),
      String(f.rxPackets),
      String(f.rxBytes),
    ]),
  ]);
}

/** Brings up the 9-host testbed, watches it, runs the traffic (or serves until Ctrl-C), checks. */
export async function runTunnelMonitor(opts: TunnelMonitorOptions = {}): Promise<TunnelMonitorResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 3 };
  const watch = opts.watch ?? 'all';
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const plan = planTraffic({ hosts: HOSTS, vnis: VNIS.length, pairs: opts.pairs ?? 24, seed });
  const hostNames: Record<string, string> = {};
  for (let i = 0; i < HOSTS; i++) hostNames[hostIp(i)] = `host${i}`;
  const name = (ip: string): string => hostNames[ip] ?? ip;

  await using sim = await Simulation.start('tunnel_monitor');
  log(
    `testbed ${sim.prefix} up: ${HOSTS} hosts, VNIs ${VNIS.join(', ')} (a bridge and a client per VNI per host)`,
  );
  await using monitor = await VxlanFlowMonitor.create();
  for (let i = 0; i < HOSTS; i++) {
    if (watch === 'host0' && i > 0) break;
    await monitor.attach({
      ...sim.iface(`host${i}`, 'eth0'),
      direction: watch === 'all' ? 'egress' : 'both',
    });
  }
  log(
    watch === 'all'
      ? "monitor on every host's eth0 egress (each tunnelled packet counted once, at its sender)"
      : "monitor on host0's eth0, ingress and egress (as BCC)",
  );
  const tracker = new FlowTracker(monitor);
  tracker.sample();
  const registry = await vxlanFlowRegistry(monitor);
  const culprit = plan[0] as PingPair;
  log(
    `traffic plan (seed ${seed}): ${plan.length} client pairs, pings of ${[...new Set(plan.map((p) => p.size))].sort((x, y) => x - y).join('/')} bytes; ` +
      `the culprit: host${culprit.from} -> host${culprit.to} in VNI ${VNIS[culprit.vni]}, ${culprit.size} bytes every ${culprit.interval} s`,
  );

  let server: DashboardServer | undefined;
  let results: PingResult[] = [];
  try {
    const serve = async (port: number): Promise<DashboardServer> =>
      startDashboard({
        port,
        info: { hosts: hostNames, vnis: [...VNIS] },
        sample: () => tracker.latest ?? tracker.sample(),
        metrics: async () => ({ body: await registry.metrics(), contentType: registry.contentType }),
      });
    if (mode.kind === 'duration') {
      if (opts.port !== undefined) server = await serve(opts.port);
      results = await runRound(sim, plan, mode.seconds);
      log(
        `${results.length} pairs pinged for ${mode.seconds} s: ${results.reduce((n, r) => n + r.sent, 0)} echo requests, ${results.reduce((n, r) => n + r.received, 0)} replies`,
      );
    } else {
      server = await serve(opts.port ?? 8080);
      const traffic = startTrafficLoop(sim, plan, opts.roundSeconds ?? 10, (e) =>
        log(`traffic: ${e instanceof Error ? e.message : String(e)}`),
      );
      let sampling = true;
      const timer = setInterval(() => {
        if (sampling) tracker.sample();
      }, opts.sampleMs ?? 2000);
      try {
        log(
          `dashboard: ${server.url}  (flows as JSON: ${server.url}flows.json, Prometheus: ${server.url}metrics)`,
        );
        opts.onServing?.({
          url: server.url,
          plan,
          pauseTraffic: async () => {
            sampling = false;
            await traffic.pause();
          },
          resumeTraffic: () => {
            sampling = true;
            traffic.resume();
          },
          sampleNow: () => tracker.sample(),
        });
        let last = 0;
        await holdUntilStopped(
          mode,
          sim,
          log,
          [
            {
              note: `the culprit's pings (VNI ${VNIS[culprit.vni]})`,
              host: `host${culprit.from}`,
              argv: ['ping', '-c', '3', '-I', `c${culprit.vni}a`, clientIp(culprit.to, culprit.vni)],
            },
            {
              note: 'a flow of your own, host3 -> host7 in VNI 10002',
              host: 'host3',
              argv: ['ping', '-c', '5', '-s', '1000', '-I', 'c2a', clientIp(7, 2)],
            },
            {
              note: 'the vxlan devices of a host',
              host: 'host0',
              argv: ['ip', '-d', 'link', 'show', 'type', 'vxlan'],
            },
          ],
          {
            tick: () => {
              const s = tracker.latest;
              if (!s || s.seq === last) return;
              last = s.seq;
              log(
                `sample ${s.seq}: ${s.totals.flows} flows, ${s.totals.packets} packets, ${s.totals.bytes} bytes; last ${(s.intervalMs / 1000).toFixed(1)} s: +${s.delta.packets} packets, +${s.delta.bytes} bytes`,
              );
            },
          },
        );
      } finally {
        clearInterval(timer);
        await traffic.stop();
      }
      log(`traffic stopped after ${traffic.rounds} rounds`);
    }

    const sample = tracker.sample();
    log(formatFlows(sample.flows, name));
    log(
      `${sample.totals.flows} flows, ${sample.totals.packets} packets (${sample.totals.nonIpv4Packets} not IPv4), ` +
        `${sample.skipped.outerMulticast} group (outer multicast) frames skipped`,
    );
    const metrics = await registry.metrics();

    // What ping counted against what the monitor counted.
    const byId = new Map(sample.flows.map((f) => [flowId(f), f]));
    const visible = (p: PingPair): boolean => watch === 'all' || p.from === 0 || p.to === 0;
    const pairChecks: PairCheck[] = results.filter(visible).map((r) => {
      const { id, expected } = expectedFlow(r);
      const found = byId.get(id);
      return found ? { pair: r, expected, found } : { pair: r, expected };
    });
    const visiblePlan = plan.filter(visible);
    const planned = new Set(visiblePlan.map((p) => expectedFlow({ ...p, sent: 0, received: 0 }).id));
    const plannedTunnels = new Set(
      visiblePlan.map(
        (p) => `${hostIp(Math.min(p.from, p.to))},${hostIp(Math.max(p.from, p.to))},${VNIS[p.vni]}`,
      ),
    );
    const unexpected = sample.flows.filter(
      (f) => !planned.has(flowId(f)) && !(!f.ipv4 && plannedTunnels.has(`${f.outerA},${f.outerB},${f.vni}`)),
    );
    const checks = new Checks();
    if (mode.kind === 'duration') {
      const wrong = pairChecks.filter(
        (c) =>
          !c.found ||
          c.pair.sent === 0 ||
          c.found.txPackets !== c.expected.txPackets ||
          c.found.txBytes !== c.expected.txBytes ||
          c.found.rxPackets !== c.expected.rxPackets ||
          c.found.rxBytes !== c.expected.rxBytes,
      );
      checks.add(
        `every planned pair's flow holds exactly its echo requests and replies (${pairChecks.length} pairs)`,
        wrong.length === 0 && pairChecks.length > 0,
        wrong
          .slice(0, 3)
          .map(
            (c) =>
              `host${c.pair.from}->host${c.pair.to} VNI ${VNIS[c.pair.vni]}: expected ${JSON.stringify(c.expected)}, found ${c.found ? JSON.stringify({ txPackets: c.found.txPackets, txBytes: c.found.txBytes, rxPackets: c.found.rxPackets, rxBytes: c.found.rxBytes }) : 'nothing'}`,
          )
          .join('; ') ||
          `${pairChecks.reduce((n, c) => n + c.expected.txPackets + c.expected.rxPackets, 0)} packets as ping counted them`,
      );
      const arpTunnels = new Set(
        sample.flows.filter((f) => !f.ipv4).map((f) => `${f.outerA},${f.outerB},${f.vni}`),
      );
      const noArp = [...plannedTunnels].filter((t) => !arpTunnels.has(t));
      checks.add(
        'ARP (not IPv4) counted between the endpoints of every planned pair',
        noArp.length === 0,
        noArp.join('; ') || `${sample.totals.nonIpv4Packets} frames`,
      );
      checks.add(
        'the group traffic (outer multicast) was skipped, not counted as flows',
        sample.skipped.outerMulticast > 0 && sample.flows.every((f) => !f.outerB.startsWith('239.')),
        `${sample.skipped.outerMulticast} frames skipped`,
      );
    }
    checks.add(
      'no flow but the planned pairs and their ARP (and pings sent by hand)',
      mode.kind === 'interactive' || unexpected.length === 0,
      unexpected.map((f) => flowId(f)).join('; ') || 'none',
    );
    const metricPackets = [...metrics.matchAll(/^tsbcc_vxlan_flow_packets_total\{[^}]*\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    const ipv4Packets = sample.totals.packets - sample.totals.nonIpv4Packets;
    checks.add(
      '/metrics exports every IPv4 packet of the flows, per direction',
      metricPackets === ipv4Packets,
      `${metricPackets} in tsbcc_vxlan_flow_packets_total, ${ipv4Packets} in the table`,
    );
    return {
      example: 'tunnel_monitor',
      prefix: sim.prefix,
      checks: checks.list,
      summary: [
        `${plan.length} pairs over ${HOSTS} hosts and ${VNIS.length} VNIs: ${sample.totals.flows} flows (${sample.flows.filter((f) => !f.ipv4).length} of them non-IPv4), ${sample.totals.packets} packets, ${sample.totals.bytes} bytes; ${sample.skipped.outerMulticast} group frames skipped`,
      ],
      watch,
      seed,
      plan,
      results,
      sample,
      pairChecks,
      unexpected,
      metrics,
    };
  } finally {
    await server?.close();
  }
}

/** `tsbcc example tunnel_monitor [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'tunnel_monitor',
    'vxlan flows of 9 hosts and 4 VNIs counted on the underlay; live chord diagram and Prometheus /metrics',
  )
    .option(
      '--watch <where>',
      "all (every host's eth0 egress) or host0 (host0's eth0 both ways, as BCC)",
      choiceOption('watch', ['all', 'host0'] as const),
      'all' as const,
    )
    .option(
      '--pairs <n>',
      'client pairs the traffic generator uses',
      numberOption('pairs', { min: 1, max: 144, integer: true }),
      24,
    )
    .option(
      '--seed <n>',
      'seed of the traffic plan (default: random)',
      numberOption('seed', { min: 0, max: 2 ** 31, integer: true }),
    )
    .option(
      '--port <port>',
      'dashboard port on 127.0.0.1 (interactive default 8080; 0: any)',
      numberOption('port', { min: 0, max: 65535, integer: true }),
    )
    .option('--print-program', 'print the BCC-C of the monitor, and exit')
    .addHelpText(
      'after',
      '\nInteractive (default): traffic runs in rounds and the dashboard is served until Ctrl-C.\n' +
        "With --duration S: one round of S seconds; exit 0 when every planned pair's flow holds exactly\n" +
        'the echo requests and replies ping counted, and nothing but ARP besides.',
    );
  if (argv.includes('--print-program')) {
    console.log(vxlanFlowSource({ port: 4789, maxFlows: 4096 }));
    return Promise.resolve(0);
  }
  return runExampleMain<{ watch: 'all' | 'host0'; pairs: number; seed?: number; port?: number }>(
    cmd,
    argv,
    (o, common) =>
      runTunnelMonitor({ ...common, watch: o.watch, pairs: o.pairs, seed: o.seed, port: o.port }),
  );
}

runIfMain(import.meta.url, main);
