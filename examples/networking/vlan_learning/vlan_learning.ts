/**
 * vlan_learning: demultiplex a VLAN trunk into a pool of workers by client MAC, learning the
 * way back (BCC's examples/networking/vlan_learning).
 *
 * Testbed `vlan_learning`: client0..2 on a physical network (the bridge `phys`), each on its own
 * VLAN, drawn at random from 2..17 for every run; a server with one trunk (trunk0) into that
 * network and one port per worker (port0..2, veth pairs to worker0..2). Every client has the
 * address 172.16.1.100 and every worker 172.16.1.5, each worker runs an HTTP server that answers
 * with its name, and each client fetches http://172.16.1.5/ with curl: only the VLAN (and the
 * client's MAC) keeps them apart.
 *
 * The clients are tagged by real vlan devices (eth0.VID) where the kernel has 8021q, otherwise
 * by a tc program on their eth0 that pushes and pops the tag (peer/vlan_client.c). On the
 * server, vlan_learning.c: `phys_to_virt` on trunk0 ingress sends each known client's frames,
 * untagged, to its worker's port (`mac_port`, filled by this controller) and learns the trunk
 * and tag to answer with (`port_trunk`); `virt_to_phys` on each port's ingress pushes the tag
 * and sends the worker's frames back out of the trunk. Both count per client MAC.
 */
import { randomInt } from 'node:crypto';
import {
  BPF,
  features,
  formatMac,
  macToBigInt,
  NotSupportedError,
  TcDevice,
  type Link,
} from '../../../src/index.js';
import { Simulation, type InterfaceCounters } from '../../../simulation/index.js';
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
import { assetPath } from '../../common/paths.js';
import { Checks, formatTable, type ExampleReport } from '../../common/report.js';

const CLIENTS = 3;
const CLIENT_IP = '172.16.1.100';
const WORKER_IP = '172.16.1.5';
const clientMac = (i: number): string => `02:00:00:00:00:0${i}`;

/** The HTTP server each worker runs (node, port 80): it answers every request with its name. */
const WORKER_SERVER = `
const name = process.argv[1];
require('node:http')
  .createServer((req, res) => res.end(name + '\\n'))
  .listen(80, '0.0.0.0', () => console.log('listening'));
`;

/** Per client MAC: its VLAN, its worker, and what crossed each way (as the programs counted). */
export interface ClientCounters {
  mac: string;
  client: string;
  vlan: number;
  worker: string;
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** What the worker's eth0 received and sent meanwhile (the same frames, counted by the kernel). */
  workerRxPackets: number;
  workerRxBytes: number;
  workerTxPackets: number;
  workerTxBytes: number;
}

/** What the example observed. */
export interface VlanLearningResult extends ExampleReport {
  /** `8021q` (vlan devices on the clients) or `tc` (a tagging program on their eth0). */
  clientTagging: '8021q' | 'tc';
  /** Why that way. */
  taggingReason: string;
  /** The VLAN of each client, drawn for this run. */
  vlans: number[];
  /** HTTP answers per client: who answered how often, and failures. */
  http: Array<{ client: string; answers: Record<string, number>; failures: number }>;
  /** The learned way back per worker port: its VLAN. */
  learned: Array<{ port: string; vlan: number; proto: number; mac: string }>;
  counters: ClientCounters[];
}

/** Options of {@link runVlanLearning}. */
export interface VlanLearningOptions extends CommonRunOptions {
  /** How clients tag: auto (8021q where the kernel has it), 8021q or tc. */
  clientTagging?: 'auto' | '8021q' | 'tc';
  /** Seconds between two requests of one client in --duration mode (default 0.5). */
  interval?: number;
  /** The VLANs to use instead of random ones (one per client). */
  vlans?: number[];
}

interface ClientLeaf {
  port: number;
  pad?: number;
  rx_pkts: bigint | number;
  rx_bytes: bigint | number;
  tx_pkts: bigint | number;
  tx_bytes: bigint | number;
}
interface TrunkLeaf {
  trunk: number;
  vlan_tci: number;
  vlan_proto: number;
  mac: bigint | number;
}

/** Distinct VLAN ids from 2..17, drawn at random (BCC shuffled the same range). */
export function drawVlans(n: number): number[] {
  const pool = Array.from({ length: 16 }, (_, i) => i + 2);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  return pool.slice(0, n);
}

async function chooseTagging(
  want: 'auto' | '8021q' | 'tc',
): Promise<{ mode: '8021q' | 'tc'; reason: string }> {
  const f = await features();
  if (want === 'tc') return { mode: 'tc', reason: 'the tc tagging program was asked for' };
  if (f.has('8021q')) {
    return {
      mode: '8021q',
      reason:
        want === '8021q' ? 'vlan devices were asked for' : 'the kernel has 8021q: a vlan device per client',
    };
  }
  if (want === '8021q') {
    throw new NotSupportedError('8021q vlan devices', f.get('8021q').kernelOption, 'use --client-tagging tc');
  }
  return {
    mode: 'tc',
    reason: `this kernel has no 8021q (${f.get('8021q').kernelOption}): a tc program on each client's eth0 pushes and pops its tag`,
  };
}

/** Brings up the testbed, deploys the programs, runs HTTP traffic (or waits), reads the counters. */
export async function runVlanLearning(opts: VlanLearningOptions = {}): Promise<VlanLearningResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 3 };
  const tagging = await chooseTagging(opts.clientTagging ?? 'auto');
  const vlans = opts.vlans ?? drawVlans(CLIENTS);

  await using sim = await Simulation.start('vlan_learning');
  log(`testbed ${sim.prefix} up: ${sim.hosts.join(', ')}`);
  log(`VLANs this run: ${vlans.map((v, i) => `client${i} ${v}`).join(', ')}`);

  using server = await BPF.create({ file: assetPath(import.meta.url, 'vlan_learning.c') });
  const clientObjects: BPF[] = [];
  const links: Link[] = [];
  try {
    // The client side: each client's frames carry its VLAN's tag.
    for (let i = 0; i < CLIENTS; i++) {
      const host = `client${i}`;
      const vid = vlans[i] as number;
      if (tagging.mode === '8021q') {
        await sim.run(
          host,
          'ip',
          'link',
          'add',
          'link',
          'eth0',
          'name',
          `eth0.${vid}`,
          'type',
          'vlan',
          'id',
          String(vid),
        );
        await sim.run(host, 'ip', 'addr', 'add', `${CLIENT_IP}/24`, 'dev', `eth0.${vid}`);
        await sim.run(host, 'ip', 'link', 'set', `eth0.${vid}`, 'up');
      } else {
        const obj = await BPF.create({ file: assetPath(import.meta.url, 'peer', 'vlan_client.c') });
        clientObjects.push(obj);
        obj.table<number, number>('client_vlan').set(0, vid);
        const dev = await TcDevice.open(sim.iface(host, 'eth0'));
        try {
          links.push(await dev.attachBpf(obj.loadFunc('tag_egress', 'SCHED_CLS'), { parent: 'egress' }));
          links.push(await dev.attachBpf(obj.loadFunc('untag_ingress', 'SCHED_CLS'), { parent: 'ingress' }));
        } finally {
          dev.close();
        }
        await sim.run(host, 'ip', 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0');
      }
    }
    log(`clients tagged by ${tagging.mode}: ${tagging.reason}`);

    // The server: the controller says which worker serves which client MAC.
    const trunk = await TcDevice.open(sim.iface('server', 'trunk0'));
    const portIndex: number[] = [];
    const portName = new Map<number, string>();
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const ifindex = await trunk.indexOf(`port${i}`);
        portIndex.push(ifindex);
        portName.set(ifindex, `port${i}`);
        server.table<bigint, ClientLeaf>('mac_port').set(macToBigInt(clientMac(i)), {
          port: ifindex,
          pad: 0,
          rx_pkts: 0n,
          rx_bytes: 0n,
          tx_pkts: 0n,
          tx_bytes: 0n,
        });
      }
      links.push(await trunk.attachBpf(server.loadFunc('phys_to_virt', 'SCHED_CLS'), { parent: 'ingress' }));
      for (let i = 0; i < CLIENTS; i++) {
        const port = await TcDevice.open(sim.iface('server', `port${i}`));
        try {
          links.push(
            await port.attachBpf(server.loadFunc('virt_to_phys', 'SCHED_CLS'), { parent: 'ingress' }),
          );
        } finally {
          port.close();
        }
      }
    } finally {
      trunk.close();
    }
    log('server: phys_to_virt on trunk0 ingress, virt_to_phys on port0..2 ingress; client MACs -> ports set');

    const workerBefore = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => sim.counters(`worker${i}`, 'eth0')),
    );
    for (let i = 0; i < CLIENTS; i++) {
      await sim.run(`worker${i}`, 'ip', 'addr', 'add', `${WORKER_IP}/24`, 'dev', 'eth0');
      sim.net.spawn(`worker${i}`, [process.execPath, '-e', WORKER_SERVER, `worker${i}`], {
        output: 'ignore',
      });
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => sim.net.waitForTcpPort(`worker${i}`, 80)));
    log(`worker0..2: HTTP on ${WORKER_IP}:80, answering with their names`);

    const http: VlanLearningResult['http'] = [];
    const fetchOnce = async (client: string): Promise<string | undefined> => {
      const r = await sim.exec(client, 'curl', '-s', '-m', '3', `http://${WORKER_IP}/`);
      return r.code === 0 ? r.stdout.trim() : undefined;
    };
    if (mode.kind === 'duration') {
      const interval = opts.interval ?? 0.5;
      const rounds = Math.max(1, Math.round(mode.seconds / interval));
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const answers: Record<string, number> = {};
          let failures = 0;
          for (let n = 0; n < rounds; n++) {
            const started = Date.now();
            const who = await fetchOnce(`client${i}`);
            if (who === undefined) failures++;
            else answers[who] = (answers[who] ?? 0) + 1;
            // pacing, not synchronisation: one request per interval
            await new Promise((r) => setTimeout(r, Math.max(0, interval * 1000 - (Date.now() - started))));
          }
          http[i] = { client: `client${i}`, answers, failures };
        }),
      );
      for (const h of http) {
        log(
          `${h.client} (vlan ${vlans[Number(h.client.slice(6))]}) GET http://${WORKER_IP}/: ${
            Object.entries(h.answers)
              .map(([w, n]) => `${n} answered by ${w}`)
              .join(', ') || 'no answers'
          }${h.failures ? `, ${h.failures} failed` : ''}`,
        );
      }
    } else {
      // As BCC's example did, every client keeps fetching (here every 2 s) so the counters move.
      const loops = Array.from({ length: CLIENTS }, (_, i) =>
        sim.net.spawn(
          `client${i}`,
          ['sh', '-c', `while sleep 2; do curl -s -o /dev/null -m 2 http://${WORKER_IP}/; done`],
          { output: 'ignore' },
        ),
      );
      const show = (): string => formatCounters(readCounters(workerBefore));
      let last = '';
      await holdUntilStopped(
        mode,
        sim,
        log,
        [
          ...Array.from({ length: CLIENTS }, (_, i) => ({
            note: `client${i} (vlan ${vlans[i]}) reaches worker${i} only, though every worker is ${WORKER_IP}`,
            host: `client${i}`,
            argv: ['curl', '-s', `http://${WORKER_IP}/`],
          })),
          {
            note: 'the tagged frames on the trunk',
            host: 'server',
            argv: ['ip', '-s', 'link', 'show', 'trunk0'],
          },
        ],
        {
          tick: () => {
            const text = show();
            if (text !== last) log(text);
            last = text;
          },
        },
      );
      await Promise.all(loops.map((p) => p.stop()));
    }

    function readCounters(workerAfter: InterfaceCounters[]): ClientCounters[] {
      return [...server.table<bigint, ClientLeaf>('mac_port').entries()]
        .map(([mac, v]) => {
          const i = portIndex.indexOf(v.port);
          const before = workerBefore[i];
          const after = workerAfter[i] ?? before;
          return {
            mac: formatMac(mac),
            client: `client${i}`,
            vlan: vlans[i] ?? 0,
            worker: `worker${i}`,
            rxPackets: Number(v.rx_pkts),
            rxBytes: Number(v.rx_bytes),
            txPackets: Number(v.tx_pkts),
            txBytes: Number(v.tx_bytes),
            workerRxPackets: (after?.rxPackets ?? 0) - (before?.rxPackets ?? 0),
            workerRxBytes: (after?.rxBytes ?? 0) - (before?.rxBytes ?? 0),
            workerTxPackets: (after?.txPackets ?? 0) - (before?.txPackets ?? 0),
            workerTxBytes: (after?.txBytes ?? 0) - (before?.txBytes ?? 0),
          };
        })
        .sort((a, b) => a.mac.localeCompare(b.mac));
    }
    const counters = readCounters(
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => sim.counters(`worker${i}`, 'eth0'))),
    );
    const learned = [...server.table<number, TrunkLeaf>('port_trunk').entries()]
      .map(([port, v]) => ({
        port: portName.get(port) ?? String(port),
        vlan: v.vlan_tci & 0xfff,
        // __sk_buff.vlan_proto is in network byte order
        proto: ((v.vlan_proto & 0xff) << 8) | (v.vlan_proto >> 8),
        mac: formatMac(v.mac),
      }))
      .sort((a, b) => a.port.localeCompare(b.port));
    log(formatCounters(counters));
    for (const l of learned)
      log(`learned: ${l.port} answers ${l.mac} on vlan ${l.vlan} (0x${l.proto.toString(16)})`);

    const checks = new Checks();
    for (let i = 0; i < CLIENTS; i++) {
      const h = http[i];
      if (h) {
        const total = Object.values(h.answers).reduce((n, x) => n + x, 0);
        checks.add(
          `client${i} (vlan ${vlans[i]}) is always answered by worker${i}, never another`,
          h.failures === 0 && total > 0 && h.answers[`worker${i}`] === total,
          `${JSON.stringify(h.answers)}, ${h.failures} failed`,
        );
      }
      const l = learned.find((x) => x.port === `port${i}`);
      checks.add(
        `port${i} learned client${i}'s VLAN ${vlans[i]} (802.1Q)`,
        l === undefined
          ? mode.kind === 'interactive'
          : l.vlan === vlans[i] && l.proto === 0x8100 && l.mac === clientMac(i),
        l ? `vlan ${l.vlan}, 0x${l.proto.toString(16)}, ${l.mac}` : `no frame from client${i} yet`,
      );
    }
    for (const c of counters) {
      checks.add(
        `${c.mac}: the programs counted every frame worker${c.client.slice(6)} received and sent`,
        (mode.kind === 'interactive' || c.rxPackets > 0) &&
          c.rxPackets === c.workerRxPackets &&
          c.rxBytes === c.workerRxBytes &&
          c.txPackets === c.workerTxPackets &&
          c.txBytes === c.workerTxBytes,
        `rx ${c.rxPackets}/${c.rxBytes} vs ${c.workerRxPackets}/${c.workerRxBytes}, tx ${c.txPackets}/${c.txBytes} vs ${c.workerTxPackets}/${c.workerTxBytes}`,
      );
    }
    return {
      example: 'vlan_learning',
      prefix: sim.prefix,
      checks: checks.list,
      summary: [
        `clients tagged by ${tagging.mode}; VLANs ${vlans.join(', ')}`,
        ...counters.map(
          (c) =>
            `mac ${c.mac} (vlan ${c.vlan} -> ${c.worker}): rx ${c.rxPackets} pkts/${c.rxBytes} B, tx ${c.txPackets} pkts/${c.txBytes} B`,
        ),
      ],
      clientTagging: tagging.mode,
      taggingReason: tagging.reason,
      vlans,
      http,
      learned,
      counters,
    };
  } finally {
    for (const l of links.reverse()) await l.close();
    for (const o of clientObjects) o.close();
  }
}

/** The per-MAC counters as BCC printed them, as a table. */
export function formatCounters(counters: readonly ClientCounters[]): string {
  return formatTable([
    ['mac', 'vlan', 'worker', 'rx pkts', 'rx bytes', 'tx pkts', 'tx bytes'],
    ...counters.map((c) => [
      c.mac,
      String(c.vlan),
      c.worker,
      String(c.rxPackets),
      String(c.rxBytes),
      String(c.txPackets),
      String(c.txBytes),
    ]),
  ]);
}

/** `tsbcc example vlan_learning [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'vlan_learning',
    'clients and workers with the same addresses, kept apart only by VLAN; per-MAC counters',
  )
    .option(
      '--client-tagging <how>',
      'auto (vlan devices where the kernel has 8021q, else a tc program), 8021q or tc',
      choiceOption('client-tagging', ['auto', '8021q', 'tc'] as const),
      'auto' as const,
    )
    .option(
      '--interval <seconds>',
      'seconds between two requests of one client in --duration mode',
      numberOption('interval', { min: 0.05, max: 10 }),
      0.5,
    )
    .addHelpText(
      'after',
      '\nWith --duration S, every client fetches http://172.16.1.5/ every interval for S seconds; exit 0\n' +
        'when each was always answered by its own worker and the per-MAC counters match the workers.',
    );
  return runExampleMain<{ clientTagging: 'auto' | '8021q' | 'tc'; interval: number }>(
    cmd,
    argv,
    (o, common) => runVlanLearning({ ...common, clientTagging: o.clientTagging, interval: o.interval }),
  );
}

runIfMain(import.meta.url, main);
