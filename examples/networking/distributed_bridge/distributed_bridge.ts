/**
 * distributed_bridge: one learning bridge per VNI spread over N hosts, joined by a flow-based
 * vxlan device whose tunnel keys BPF programs set (BCC's examples/networking/distributed_bridge).
 *
 * Every host runs its own controller, as BCC ran tunnel.py / tunnel_mesh.py in each namespace:
 * one BPF object per host, `handle_ingress` on vxlan0's ingress and `handle_egress` on the
 * egress of its bridges' tunnel ports, with the tables filled from TypeScript.
 * - multicast (tunnel.c): the programs learn, per VNI, which endpoint a MAC lives behind
 *   (`mac2host`); unknown, broadcast and multicast frames go to the group 239.1.1.1.
 * - mesh (tunnel_mesh.c): one tunnel port per remote host; the bridge learns and floods, the
 *   programs map ports to (VNI, endpoint) and back, and never send a frame that came from the
 *   tunnel back into it (split horizon).
 * - dhcp: mesh, with the bridges' addresses leased by a dnsmasq on host0.
 * VNIs 10000 and 10001, N hosts (--hosts, default 3). The test: every bridge pings every other
 * bridge of its VNI (the full matrix), no frame crosses between VNIs (no bridge learned a MAC of
 * the other VNI), and the learned tables are exactly the remote bridges behind their endpoints.
 */
import { BPF, formatIPv4, formatMac, parseIPv4, TcDevice, waitFor, type Link } from '../../../src/index.js';
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
import { assetPath } from '../../common/paths.js';
import { Checks, formatTable, parsePingSummary, type ExampleReport } from '../../common/report.js';
import { startDhcp, type DhcpRun } from './dhcp.js';
import {
  bridgeIp,
  bridgeMac,
  bridgeName,
  distributedBridgeTopology,
  GROUP,
  tunnelPort,
  underlayIp,
  VNIS,
  type BridgeMode,
} from './topology.js';

export { distributedBridgeTopology, type BridgeMode } from './topology.js';

/** Options of {@link runDistributedBridge}. */
export interface DistributedBridgeOptions extends CommonRunOptions {
  /** Number of hosts, 2-50 (default 3). */
  hosts?: number;
  /** BCC's mode (default multicast). */
  bridgeMode?: BridgeMode;
  /** Seconds between pings of one pair (default 0.2). */
  interval?: number;
  /** Pairs pinging at once (default 16). */
  concurrency?: number;
}

/** One VNI's ping matrix: received/sent per ordered pair of hosts. */
export interface PingMatrix {
  vni: number;
  /** The bridges' addresses, by host. */
  addresses: string[];
  /** [from][to]: replies received of pings sent ("-" on the diagonal). */
  cells: Array<Array<{ sent: number; received: number } | undefined>>;
}

/** A MAC a host's bridge of one VNI reached through a tunnel port (learned). */
export interface LearnedMac {
  host: string;
  vni: number;
  mac: string;
  /** The endpoint it lives behind (multicast: mac2host; mesh: the fdb port's remote host). */
  remote: string;
  /** multicast: frames received from / sent to it, as counted in mac2host. */
  rxPkts?: number;
  txPkts?: number;
}

/** What the example observed. */
export interface DistributedBridgeResult extends ExampleReport {
  mode: BridgeMode;
  hosts: number;
  matrices: PingMatrix[];
  /** Learned per host and VNI: multicast from mac2host, mesh/dhcp from the bridges' fdb. */
  learned: LearnedMac[];
  /** MACs of one VNI's bridges found in the other VNI's tables (should be none). */
  crossVni: string[];
  /** mesh/dhcp: frames the tunnel ports held back by split horizon, per host. */
  held: Record<string, number>;
}

interface VniKey {
  mac: bigint | number;
  ifindex: number;
  pad: number;
}
interface HostLeaf {
  tunnel_id: number;
  remote_ipv4: number;
  rx_pkts: bigint | number;
  tx_pkts: bigint | number;
}
interface TunnelKey {
  tunnel_id: number;
  remote_ipv4: number;
}
interface PortCount {
  rx: bigint | number;
  tx: bigint | number;
  held: bigint | number;
}

const BROADCAST = 0xffffffffffffn;

/** Runs `fn` over `items` with at most `n` at once. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** The per-host controller: its object, and what it set up. */
interface HostController {
  host: string;
  bpf: BPF;
  /** tunnel port ifindex -> [VNI index, remote host index or undefined] */
  ports: Map<number, { j: number; remote?: number }>;
}

/** Loads tunnel.c or tunnel_mesh.c for host i, fills its tables, attaches its programs. */
async function deployHost(
  sim: Simulation,
  i: number,
  hosts: number,
  mode: BridgeMode,
  links: Link[],
): Promise<HostController> {
  const host = `host${i}`;
  const bpf = await BPF.create({
    file: assetPath(import.meta.url, mode === 'multicast' ? 'tunnel.c' : 'tunnel_mesh.c'),
  });
  const ports = new Map<number, { j: number; remote?: number }>();
  try {
    const vx = await TcDevice.open(sim.iface(host, 'vxlan0'));
    try {
      bpf
        .table<number, { tunnel_ifindex: number }>('conf')
        .set(0, { tunnel_ifindex: await vx.indexOf('vxlan0') });
      for (let j = 0; j < VNIS.length; j++) {
        const vni = VNIS[j] as number;
        if (mode === 'multicast') {
          const port = await vx.indexOf(tunnelPort(j));
          ports.set(port, { j });
          bpf.table<number, number>('vni2if').set(vni, port);
          bpf.table<Partial<VniKey>, Partial<HostLeaf>>('mac2host').set(
            { mac: BROADCAST, ifindex: port, pad: 0 },
            {
              tunnel_id: vni,
              remote_ipv4: parseIPv4(GROUP, { hostOrder: true }),
              rx_pkts: 0n,
              tx_pkts: 0n,
            },
          );
        } else {
          for (let m = 0; m < hosts; m++) {
            if (m === i) continue;
            const port = await vx.indexOf(tunnelPort(j, m));
            ports.set(port, { j, remote: m });
            const key = { tunnel_id: vni, remote_ipv4: parseIPv4(underlayIp(m), { hostOrder: true }) };
            bpf.table<TunnelKey, number>('tunkey2if').set(key, port);
            bpf.table<number, TunnelKey>('if2tunkey').set(port, key);
          }
        }
      }
      links.push(await vx.attachBpf(bpf.loadFunc('handle_ingress', 'SCHED_CLS'), { parent: 'ingress' }));
    } finally {
      vx.close();
    }
    const egress = bpf.loadFunc('handle_egress', 'SCHED_CLS');
    for (const [, p] of ports) {
      const dev = await TcDevice.open(sim.iface(host, tunnelPort(p.j, p.remote)));
      try {
        links.push(await dev.attachBpf(egress, { parent: 'egress' }));
      } finally {
        dev.close();
      }
    }
    return { host, bpf, ports };
  } catch (e) {
    bpf.close();
    throw e;
  }
}

/** The IPv4 address on a host's bridge (leased or static), or undefined. */
async function addressOf(sim: Simulation, host: string, ifname: string): Promise<string | undefined> {
  const out = await sim.run(host, 'ip', '-j', '-4', 'addr', 'show', 'dev', ifname);
  const [link] = JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>;
  return link?.addr_info?.[0]?.local;
}

/** The dynamic fdb entries of a bridge on its tunnel ports: MAC -> port name. */
async function tunnelFdb(sim: Simulation, host: string, bridge: string): Promise<Map<string, string>> {
  const out = await sim.run(host, 'bridge', '-j', 'fdb', 'show', 'br', bridge);
  const entries = JSON.parse(out) as Array<{
    mac: string;
    ifname?: string;
    state?: string;
    flags?: string[];
  }>;
  const m = new Map<string, string>();
  for (const e of entries) {
    if (e.ifname?.startsWith('vx') && e.state !== 'permanent') m.set(e.mac, e.ifname);
  }
  return m;
}

/** Brings up the testbed, deploys a controller per host, pings the matrix, checks the tables. */
export async function runDistributedBridge(
  opts: DistributedBridgeOptions = {},
): Promise<DistributedBridgeResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 1 };
  const bridgeMode = opts.bridgeMode ?? 'multicast';
  const hosts = opts.hosts ?? 3;
  const interval = opts.interval ?? 0.2;
  const hostNames = [...Array(hosts).keys()].map((i) => `host${i}`);

  // dhcp needs its tools before anything is made
  let dhcp: DhcpRun | undefined;
  await using sim = await Simulation.start(distributedBridgeTopology(hosts, bridgeMode));
  log(
    `testbed ${sim.prefix} up: ${hosts} hosts on br-fabric (172.16.1.100-${99 + hosts}), ` +
      `${bridgeMode} mode, VNIs ${VNIS.join(' and ')}`,
  );
  const links: Link[] = [];
  const controllers: HostController[] = [];
  try {
    for (let i = 0; i < hosts; i++) controllers.push(await deployHost(sim, i, hosts, bridgeMode, links));
    log(
      `${bridgeMode === 'multicast' ? 'tunnel.c' : 'tunnel_mesh.c'} on every host: handle_ingress on vxlan0, ` +
        `handle_egress on ${bridgeMode === 'multicast' ? 'vx0 and vx1' : `${2 * (hosts - 1)} tunnel ports`}`,
    );

    // The bridges' addresses: static, or leased by host0's dnsmasq.
    const addresses: string[][] = VNIS.map((_, j) => hostNames.map((_h, i) => bridgeIp(i, j)));
    if (bridgeMode === 'dhcp') {
      dhcp = startDhcp(
        sim,
        VNIS.map((_, j) => ({ host: 'host0', ifname: `dhcp${j}v2`, subnet: `99.1.${j}.0` })),
        hostNames.flatMap((h, i) => VNIS.map((_, j) => ({ host: h, ifname: bridgeName(i, j) }))),
      );
      for (let j = 0; j < VNIS.length; j++) {
        for (let i = 0; i < hosts; i++) {
          const host = hostNames[i] as string;
          const ip = await waitFor(
            `a lease on ${bridgeName(i, j)} in ${host}`,
            () => addressOf(sim, host, bridgeName(i, j)),
            60_000,
            200,
          );
          (addresses[j] as string[])[i] = ip as string;
        }
      }
      log(
        `dnsmasq on host0, ${dhcp.client} on every bridge: ${addresses.map((a, j) => `VNI ${VNIS[j]} ${a.join(' ')}`).join('; ')}`,
      );
    }

    const matrices: PingMatrix[] = [];
    if (mode.kind === 'duration') {
      const count = Math.max(2, Math.round(mode.seconds / interval));
      for (let j = 0; j < VNIS.length; j++) {
        const addr = addresses[j] as string[];
        const cells: PingMatrix['cells'] = hostNames.map(() => hostNames.map(() => undefined));
        const pairs = hostNames
          .flatMap((_, a) => hostNames.map((_b, b) => [a, b] as const))
          .filter(([a, b]) => a !== b);
        await pool(pairs, opts.concurrency ?? 16, async ([a, b]) => {
          const r = await sim.exec(
            hostNames[a] as string,
            'ping',
            '-c',
            String(count),
            '-i',
            String(interval),
            '-W',
            '1',
            addr[b] as string,
          );
          (cells[a] as PingMatrix['cells'][number])[b] = parsePingSummary(r.stdout);
        });
        matrices.push({ vni: VNIS[j] as number, addresses: addr, cells });
        log(`VNI ${VNIS[j]}: ping matrix (replies/sent)\n${formatMatrix(hostNames, cells)}`);
      }
    } else {
      let last = '';
      await holdUntilStopped(
        mode,
        sim,
        log,
        [
          {
            note: `VNI ${VNIS[0]}: host1's bridge to host0's, through the tunnel`,
            host: 'host1',
            argv: ['ping', '-c', '3', addresses[0]?.[0] as string],
          },
          {
            note: `VNI ${VNIS[1]}: the same hosts, the other bridge`,
            host: 'host1',
            argv: ['ping', '-c', '3', addresses[1]?.[0] as string],
          },
          {
            note: `what host1's VNI ${VNIS[0]} bridge learned, per tunnel port`,
            host: 'host1',
            argv: ['bridge', 'fdb', 'show', 'br', bridgeName(1, 0)],
          },
          {
            note: 'the tunnelled frames on the underlay',
            host: 'host1',
            argv: ['ip', '-s', 'link', 'show', 'eth0'],
          },
        ],
        {
          tick: async () => {
            const text = formatLearned(await readLearned(sim, controllers, bridgeMode, hosts));
            if (text !== last) log(`learned:\n${text}`);
            last = text;
          },
        },
      );
    }

    const learned = await readLearned(sim, controllers, bridgeMode, hosts);
    log(`learned:\n${formatLearned(learned)}`);
    // Isolation: no bridge's fdb holds a MAC of the other VNI's bridges.
    const crossVni: string[] = [];
    for (let i = 0; i < hosts; i++) {
      for (let j = 0; j < VNIS.length; j++) {
        const fdb = await tunnelFdb(sim, hostNames[i] as string, bridgeName(i, j));
        for (const [mac, port] of fdb) {
          const other = hostNames.findIndex((_h, m) => bridgeMac(m, 1 - j) === mac);
          if (other >= 0)
            crossVni.push(
              `host${i} VNI ${VNIS[j]} learned ${mac} (host${other}, VNI ${VNIS[1 - j]}) on ${port}`,
            );
        }
      }
    }
    const held: Record<string, number> = {};
    if (bridgeMode !== 'multicast') {
      for (const c of controllers) {
        held[c.host] = [...c.bpf.table<number, PortCount>('port_counts').values()].reduce(
          (n, v) => n + Number(v.held),
          0,
        );
      }
      log(
        `split horizon: frames from the tunnel held back from it again: ${Object.entries(held)
          .map(([h, n]) => `${h} ${n}`)
          .join(', ')}`,
      );
    }

    const checks = new Checks();
    for (const m of matrices) {
      const bad: string[] = [];
      m.cells.forEach((row, a) =>
        row.forEach((c, b) => {
          if (a !== b && (!c || c.sent === 0 || c.received !== c.sent))
            bad.push(`host${a}->host${b} ${c?.received ?? 0}/${c?.sent ?? 0}`);
        }),
      );
      checks.add(
        `VNI ${m.vni}: every bridge answers every other (${hosts * (hosts - 1)} pairs)`,
        bad.length === 0,
        bad.join(', ') || 'all pings answered',
      );
    }
    checks.add(
      "no frame crossed between the VNIs (no bridge learned the other VNI's MACs)",
      crossVni.length === 0,
      crossVni.join('; ') || 'none',
    );
    // Learned: on each host and VNI, exactly the other hosts' bridges of that VNI, each behind
    // its own endpoint (plus host0's DHCP server port in dhcp mode).
    const unexpected: string[] = [];
    const missing: string[] = [];
    for (let i = 0; i < hosts; i++) {
      for (let j = 0; j < VNIS.length; j++) {
        const mine = learned.filter((l) => l.host === `host${i}` && l.vni === VNIS[j]);
        for (let m = 0; m < hosts; m++) {
          if (m === i) continue;
          const l = mine.find((x) => x.mac === bridgeMac(m, j));
          if (!l || l.remote !== underlayIp(m)) {
            if (mode.kind === 'duration')
              missing.push(
                `host${i} VNI ${VNIS[j]}: ${bridgeMac(m, j)} behind ${underlayIp(m)}${l ? ` (found behind ${l.remote})` : ''}`,
              );
          }
        }
        for (const l of mine) {
          const m = hostNames.findIndex((_h, k) => bridgeMac(k, j) === l.mac);
          const dhcpServer = bridgeMode === 'dhcp' && i !== 0 && l.remote === underlayIp(0);
          if ((m < 0 || m === i || l.remote !== underlayIp(m)) && !dhcpServer)
            unexpected.push(`host${i} VNI ${VNIS[j]}: ${l.mac} behind ${l.remote}`);
        }
      }
    }
    checks.add(
      `every host learned exactly the other bridges of each VNI behind their endpoints (${bridgeMode === 'multicast' ? 'mac2host' : 'bridge fdb'})`,
      missing.length === 0 && unexpected.length === 0,
      [...missing.map((x) => `missing ${x}`), ...unexpected.map((x) => `unexpected ${x}`)].join('; ') ||
        `${learned.length} entries`,
    );
    if (bridgeMode !== 'multicast' && mode.kind === 'duration' && hosts > 2) {
      const total = Object.values(held).reduce((n, x) => n + x, 0);
      checks.add('split horizon held back flooded frames from the tunnel', total > 0, `${total} frames`);
    }
    const summary = [
      `${bridgeMode}, ${hosts} hosts: ${matrices
        .map((m) => {
          const ok = m.cells.flat().filter((c) => c && c.sent > 0 && c.received === c.sent).length;
          return `VNI ${m.vni} ${ok}/${hosts * (hosts - 1)} pairs answered`;
        })
        .join(', ')}; ${learned.length} MACs learned; ${crossVni.length} across VNIs`,
    ];
    return {
      example: 'distributed_bridge',
      prefix: sim.prefix,
      checks: checks.list,
      summary,
      mode: bridgeMode,
      hosts,
      matrices,
      learned,
      crossVni,
      held,
    };
  } finally {
    await dhcp?.stop();
    for (const l of links.reverse()) await l.close();
    for (const c of controllers) c.bpf.close();
  }
}

/** What each host learned: mac2host (multicast) or its bridges' fdb (mesh, dhcp). */
async function readLearned(
  sim: Simulation,
  controllers: readonly HostController[],
  bridgeMode: BridgeMode,
  hosts: number,
): Promise<LearnedMac[]> {
  const out: LearnedMac[] = [];
  for (const [i, c] of controllers.entries()) {
    if (bridgeMode === 'multicast') {
      for (const [k, v] of c.bpf.table<VniKey, HostLeaf>('mac2host').entries()) {
        if (BigInt(k.mac) === BROADCAST) continue;
        out.push({
          host: c.host,
          vni: v.tunnel_id,
          mac: formatMac(k.mac),
          remote: formatIPv4(v.remote_ipv4, { hostOrder: true }),
          rxPkts: Number(v.rx_pkts),
          txPkts: Number(v.tx_pkts),
        });
      }
    } else {
      for (let j = 0; j < VNIS.length; j++) {
        for (const [mac, port] of await tunnelFdb(sim, c.host, bridgeName(i, j))) {
          const m = Number(/h(\d+)$/.exec(port)?.[1]);
          out.push({ host: c.host, vni: VNIS[j] as number, mac, remote: m < hosts ? underlayIp(m) : port });
        }
      }
    }
  }
  return out.sort(
    (a, b) =>
      a.host.localeCompare(b.host, 'en', { numeric: true }) || a.vni - b.vni || a.mac.localeCompare(b.mac),
  );
}

function formatLearned(learned: readonly LearnedMac[]): string {
  return formatTable([
    ['host', 'vni', 'mac', 'behind', 'rx', 'tx'],
    ...learned.map((l) => [
      l.host,
      String(l.vni),
      l.mac,
      l.remote,
      l.rxPkts === undefined ? '' : String(l.rxPkts),
      l.txPkts === undefined ? '' : String(l.txPkts),
    ]),
  ]);
}

/** A ping matrix as text: rows are senders, columns receivers. */
export function formatMatrix(hosts: readonly string[], cells: PingMatrix['cells']): string {
  return formatTable([
    ['from \\ to', ...hosts],
    ...hosts.map((h, a) => [
      h,
      ...hosts.map((_, b) => (a === b ? '-' : `${cells[a]?.[b]?.received ?? 0}/${cells[a]?.[b]?.sent ?? 0}`)),
    ]),
  ]);
}

/** `tsbcc example distributed_bridge [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'distributed_bridge',
    'one bridge per VNI across N hosts over flow-based vxlan (BCC modes)',
  )
    .option(
      '--mode <mode>',
      'multicast (BUM traffic to a group), mesh (a tunnel port per remote host, split horizon) or dhcp (mesh, addresses from dnsmasq)',
      choiceOption('mode', ['multicast', 'mesh', 'dhcp'] as const),
      'multicast' as const,
    )
    .option('--hosts <n>', 'number of hosts', numberOption('hosts', { min: 2, max: 50, integer: true }), 3)
    .option(
      '--interval <seconds>',
      'seconds between two pings of one pair',
      numberOption('interval', { min: 0.01, max: 5 }),
      0.2,
    )
    .addHelpText(
      'after',
      '\nWith --duration S, every bridge pings every other bridge of its VNI for S seconds; exit 0 when\n' +
        'all answered, no frame crossed between VNIs, and each host learned exactly the remote bridges.',
    );
  return runExampleMain<{ mode: BridgeMode; hosts: number; interval: number }>(cmd, argv, (o, common) =>
    runDistributedBridge({ ...common, bridgeMode: o.mode, hosts: o.hosts, interval: o.interval }),
  );
}

runIfMain(import.meta.url, main);
