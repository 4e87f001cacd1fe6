/**
 * tunnel_monitor: per-flow counters of VXLAN overlay traffic, seen from the underlay.
 *
 * Testbed `tunnel_monitor`: host0 and host1 on an underlay bridge (172.18.0.0/24), with two
 * vxlan segments between them (VNI 10: 192.168.10.0/24, VNI 20: 192.168.20.0/24). The four
 * programs of monitor.c are loaded; parse_outer and parse_inner go into the `parser` prog
 * array at indexes 1 and 2, and monitor_ingress/monitor_egress are attached (direct action) to
 * host0's underlay interface eth0. Pings cross VNI 10 and an iperf3 transfer crosses VNI 20;
 * the `stats` table then holds one entry per flow, keyed by the outer (tunnel endpoint)
 * addresses, the VNI and the inner (host) addresses, with packets and bytes per direction.
 *
 * Run: node dist/examples/networking/tunnel_monitor/tunnel_monitor.js [--pings 5] [--bytes 2M]
 * [--serve PORT] (until Ctrl-C: a live chord diagram of the flows on http://127.0.0.1:PORT/ and
 * the flows as JSON on /flows.json, while pings and iperf3 rounds keep crossing both VNIs).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BPF, formatIPv4, TcDevice, type Link, type ProgArray } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';
import { startLiveTraffic, type LiveTraffic } from './live_traffic.js';
import { startFlowServer } from './web_server.js';

const here = dirname(fileURLToPath(import.meta.url));
const exampleDir = here.includes(join('dist', 'examples'))
  ? join(here, '..', '..', '..', '..', 'examples', 'networking', 'tunnel_monitor')
  : here;
const source = join(exampleDir, 'monitor.c');
const webDir = join(exampleDir, 'web');

interface FlowKey {
  outer_a: number;
  outer_b: number;
  inner_a: number;
  inner_b: number;
  vni: number;
}
interface FlowCounters {
  a_to_b_pkts: bigint | number;
  b_to_a_pkts: bigint | number;
  a_to_b_bytes: bigint | number;
  b_to_a_bytes: bigint | number;
}

/** One overlay flow as the monitor counted it (addresses dotted; a is the smaller inner address). */
export interface Flow {
  outerA: string;
  outerB: string;
  innerA: string;
  innerB: string;
  vni: number;
  aToBPkts: number;
  bToAPkts: number;
  aToBBytes: number;
  bToABytes: number;
}

/** What the example measured. */
export interface TunnelMonitorResult {
  /** The testbed's per-run prefix (namespaces `<prefix>-host0`, ...). */
  prefix: string;
  /** Echo requests sent host0 -> host1 over VNI 10, and replies received. */
  pings: { sent: number; received: number };
  /**
   * Payload bytes host1's iperf3 received from host0 over VNI 20 (what surely crossed; iperf3
   * -n may end before every byte written on the sender's side was sent).
   */
  tcpBytesReceived: number;
  /**
   * TCP segments each host's own stack sent during the iperf3 run (Tcp OutSegs of
   * /proc/net/snmp, retransmissions included): what the VNI 20 flow should count.
   */
  tcpSegmentsSent: { host0: number; host1: number };
  /** The `stats` table, sorted by VNI. */
  flows: Flow[];
}

/** Options of {@link runTunnelMonitor}. */
export interface TunnelMonitorOptions {
  pings?: number;
  /** iperf3 transfer size (`-n`), e.g. "2M". */
  bytes?: string;
  log?: (line: string) => void;
  /**
   * Once the traffic has run, serve the live chord diagram on http://127.0.0.1:port/ (0: any
   * free port) and the flows as JSON on /flows.json; `whileServing` is awaited with the page's
   * URL before the traffic, the server and the testbed are removed.
   */
  serve?: {
    port: number;
    whileServing: (url: string) => Promise<void>;
    /**
     * Keep overlay traffic going while serving, so the diagram moves (default true): a ping
     * burst over VNI 10 and an iperf3 round over VNI 20 every `periodMs` (default 1000).
     */
    liveTraffic?: boolean | { periodMs?: number; bytes?: string };
  };
}

function readFlows(bpf: BPF): Flow[] {
  return [...bpf.table<FlowKey, FlowCounters>('stats').entries()]
    .map(([k, v]) => ({
      // packet reads through the cursor are in host order, as in BCC
      outerA: formatIPv4(k.outer_a, { hostOrder: true }),
      outerB: formatIPv4(k.outer_b, { hostOrder: true }),
      innerA: formatIPv4(k.inner_a, { hostOrder: true }),
      innerB: formatIPv4(k.inner_b, { hostOrder: true }),
      vni: k.vni,
      aToBPkts: Number(v.a_to_b_pkts),
      bToAPkts: Number(v.b_to_a_pkts),
      aToBBytes: Number(v.a_to_b_bytes),
      bToABytes: Number(v.b_to_a_bytes),
    }))
    .sort((x, y) => x.vni - y.vni || x.innerA.localeCompare(y.innerA));
}

/** The flows as a text table. */
export function formatFlows(flows: Flow[]): string {
  const rows = [
    ['outer a', 'outer b', 'vni', 'inner a', 'inner b', 'a->b pkts', 'b->a pkts', 'a->b bytes', 'b->a bytes'],
    ...flows.map((f) => [
      f.outerA,
      f.outerB,
      String(f.vni),
      f.innerA,
      f.innerB,
      String(f.aToBPkts),
      String(f.bToAPkts),
      String(f.aToBBytes),
      String(f.bToABytes),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function parsePingSummary(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : { sent: 0, received: 0 };
}

/** Tcp OutSegs of a host (its namespace's /proc/net/snmp). */
async function tcpOutSegs(sim: Simulation, host: string): Promise<number> {
  const lines = (await sim.run(host, 'cat', '/proc/net/snmp'))
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const [names, values] = lines.map((l) => l.trim().split(/\s+/));
  const i = names?.indexOf('OutSegs') ?? -1;
  return Number(values?.[i]);
}

/** Builds the testbed, deploys the monitor, drives overlay traffic, reads the flows, removes it all. */
export async function runTunnelMonitor(opts: TunnelMonitorOptions = {}): Promise<TunnelMonitorResult> {
  const log = opts.log ?? ((): void => undefined);
  const count = opts.pings ?? 5;
  await using sim = await Simulation.start('tunnel_monitor');
  const prefix = sim.net.prefix;
  log(`testbed up: hosts ${sim.hosts.join(', ')} (namespaces ${prefix}-*)`);
  using bpf = await BPF.create({ file: source });
  const parser = bpf.table('parser') as ProgArray;
  parser.set(1, bpf.loadFunc('parse_outer', 'SCHED_CLS'));
  parser.set(2, bpf.loadFunc('parse_inner', 'SCHED_CLS'));
  const ingress = bpf.loadFunc('monitor_ingress', 'SCHED_CLS');
  const egress = bpf.loadFunc('monitor_egress', 'SCHED_CLS');

  const links: Link[] = [];
  try {
    const dev = await TcDevice.open(sim.iface('host0', 'eth0'));
    try {
      links.push(await dev.attachBpf(ingress, { parent: 'ingress', name: 'tunnel-monitor-in' }));
      links.push(await dev.attachBpf(egress, { parent: 'egress', name: 'tunnel-monitor-out' }));
    } finally {
      dev.close();
    }
    log('monitor attached to host0 eth0 (underlay), ingress and egress');

    const r = await sim.exec('host0', 'ping', '-c', String(count), '-i', '0.2', '-W', '2', '192.168.10.2');
    const pings = parsePingSummary(r.stdout);
    log(`ping host0 -> host1 over VNI 10: ${pings.received}/${pings.sent}`);

    const srv = sim.spawn('host1', 'iperf3', '-s', '-1', '-B', '192.168.20.2');
    let tcpBytesReceived: number;
    const segsBefore = { host0: await tcpOutSegs(sim, 'host0'), host1: await tcpOutSegs(sim, 'host1') };
    const tcpSegmentsSent = { host0: 0, host1: 0 };
    try {
      await sim.net.waitForTcpPort('host1', 5201);
      const out = await sim.run('host0', 'iperf3', '-c', '192.168.20.2', '-n', opts.bytes ?? '2M', '-J');
      tcpBytesReceived = (JSON.parse(out) as { end: { sum_received: { bytes: number } } }).end.sum_received
        .bytes;
    } finally {
      await srv.stop();
    }
    tcpSegmentsSent.host0 = (await tcpOutSegs(sim, 'host0')) - segsBefore.host0;
    tcpSegmentsSent.host1 = (await tcpOutSegs(sim, 'host1')) - segsBefore.host1;
    log(
      `iperf3 host0 -> host1 over VNI 20: ${tcpBytesReceived} bytes received; TCP segments sent: host0 ${tcpSegmentsSent.host0}, host1 ${tcpSegmentsSent.host1}`,
    );

    const flows = readFlows(bpf);
    log(formatFlows(flows));
    if (opts.serve) {
      const server = await startFlowServer(webDir, opts.serve.port, () => readFlows(bpf));
      let traffic: LiveTraffic | undefined;
      try {
        log(`serving the live chord diagram on ${server.url} (flows as JSON on ${server.url}flows.json)`);
        const live = opts.serve.liveTraffic ?? true;
        if (live !== false) {
          traffic = await startLiveTraffic(sim, { ...(live === true ? {} : live), log });
          log('live traffic: a ping burst (VNI 10) and an iperf3 round (VNI 20) every period');
        }
        await opts.serve.whileServing(server.url);
      } finally {
        await traffic?.stop();
        await server.close();
      }
      if (traffic) log(`live traffic stopped after ${traffic.rounds} rounds`);
    }
    return { prefix, pings, tcpBytesReceived, tcpSegmentsSent, flows };
  } finally {
    for (const l of links.reverse()) await l.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { pings: { type: 'string' }, bytes: { type: 'string' }, serve: { type: 'string' } },
  });
  const untilInterrupted = (): Promise<void> =>
    new Promise((resolve) => {
      console.log('Ctrl-C to stop');
      process.once('SIGINT', () => resolve());
    });
  await runTunnelMonitor({
    pings: values.pings ? Number(values.pings) : undefined,
    bytes: values.bytes,
    log: (l) => console.log(l),
    serve: values.serve ? { port: Number(values.serve), whileServing: untilInterrupted } : undefined,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
