/**
 * distributed_bridge: one learning bridge per VNI spread over several hosts, joined through a
 * flow-based (external) VXLAN device whose tunnel keys tc programs set per packet.
 *
 * Testbed (built here): host0..2 on an underlay bridge (172.19.0.0/24), each with `vxlan0`
 * (external, collect_metadata) and, per VNI (10 and 20), a bridge `b<n>v<vni>` with one tenant
 * namespace (`t<n>v<vni>`) and a tunnel port `tp<vni>`. Both VNIs use the same subnet
 * 10.62.0.0/24 (VNI 10: .1-.3, VNI 20: .11-.13), so only the VNI keeps them apart.
 *
 * Per host, tunnel.c is loaded as its own object (its tables hold that host's ifindexes, like
 * one controller per host): `handle_ingress` on vxlan0 ingress learns which tunnel endpoint a
 * MAC lives behind (`mac2host`, per VNI) and hands the frame to the VNI's bridge through its
 * tunnel port (`vni2if`); `handle_egress` on each tunnel port's egress sends frames for learned
 * MACs to their endpoint, and floods the rest to the VNI's endpoints (`flood`). `conf`,
 * `vni2if` and `flood` are filled from TypeScript.
 *
 * Run: node dist/examples/networking/distributed_bridge/distributed_bridge.js [--count 3].
 * Everything is removed at the end, on Ctrl-C and on errors.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BPF, formatIPv4, TcDevice, Topology, type Link } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = here.includes(join('dist', 'examples'))
  ? join(here, '..', '..', '..', '..', 'examples', 'networking', 'distributed_bridge', 'tunnel.c')
  : join(here, 'tunnel.c');

const HOSTS = 3;
const VNIS = [10, 20] as const;
const underlayIp = (n: number): string => `172.19.0.${n + 1}`;
const tenant = (n: number, vni: number): string => `t${n}v${vni}`;
const tenantIp = (n: number, vni: number): string => `10.62.0.${(vni === 10 ? 1 : 11) + n}`;
const tenantMac = (n: number, vni: number): string =>
  `02:00:00:62:${vni.toString(16).padStart(2, '0')}:0${n}`;

function ipv4HostOrder(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function u64ToMac(v: bigint | number): string {
  return BigInt(v)
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

function parsePingSummary(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : { sent: 0, received: 0 };
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
interface FloodList {
  vni: number;
  count: number;
  remote_ipv4: number[];
  flooded: bigint | number;
}

/** One learned `mac2host` entry of a host. */
export interface Learned {
  /** The host whose table holds it. */
  host: string;
  mac: string;
  vni: number;
  /** The tunnel endpoint (underlay address) the MAC lives behind. */
  remote: string;
  rxPkts: number;
  txPkts: number;
}

/** What the example measured. */
export interface DistributedBridgeResult {
  prefix: string;
  /** Pings between tenants, keyed "from->to". */
  pings: Record<string, { sent: number; received: number }>;
  /** Every host's mac2host table, sorted by host, VNI and MAC. */
  learned: Learned[];
  /** Frames each host's tunnel ports flooded, keyed "host/vni". */
  flooded: Record<string, number>;
  /** Frames counted by each host's underlay eth0 (rx) during the pings: the tunnel was used. */
  underlayRxPackets: Record<string, number>;
}

/** The testbed: three hosts, an external vxlan each, one bridge and tenant per VNI per host. */
export function distributedBridgeTopology(): Topology {
  const t = new Topology('distbr').bridge('underlay');
  for (let n = 0; n < HOSTS; n++) {
    const h = `host${n}`;
    t.host(h, { ipv6: false });
    t.link({ host: h, ifname: 'eth0', addresses: [`${underlayIp(n)}/24`] }, { bridge: 'underlay' });
    t.vxlan(h, { name: 'vxlan0', vni: 0, external: true });
    for (const vni of VNIS) {
      const br = `b${n}v${vni}`;
      t.bridge(br, { host: h });
      t.link({ host: h, ifname: `tun${vni}` }, { bridge: br, ifname: `tp${vni}` });
      t.host(tenant(n, vni), { ipv6: false });
      t.link(
        {
          host: tenant(n, vni),
          ifname: 'eth0',
          mac: tenantMac(n, vni),
          addresses: [`${tenantIp(n, vni)}/24`],
        },
        { bridge: br },
      );
    }
  }
  return t;
}

async function underlayRx(sim: Simulation, host: string): Promise<number> {
  const out = await sim.run(host, 'cat', '/sys/class/net/eth0/statistics/rx_packets');
  return Number(out.trim());
}

/** Builds the testbed, deploys tunnel.c per host, pings across, reads what was learned, removes it all. */
export async function runDistributedBridge(
  opts: { count?: number; log?: (line: string) => void } = {},
): Promise<DistributedBridgeResult> {
  const log = opts.log ?? ((): void => undefined);
  const count = opts.count ?? 3;
  await using sim = await Simulation.start(distributedBridgeTopology());
  const prefix = sim.net.prefix;
  log(`testbed up: ${sim.hosts.length} namespaces (${prefix}-*)`);

  const objects: BPF[] = [];
  const links: Link[] = [];
  const portNames: Array<Map<number, number>> = []; // per host: tunnel port ifindex -> vni
  try {
    for (let n = 0; n < HOSTS; n++) {
      const h = `host${n}`;
      const bpf = await BPF.create({ file: source });
      objects.push(bpf);
      const ingress = bpf.loadFunc('handle_ingress', 'SCHED_CLS');
      const egress = bpf.loadFunc('handle_egress', 'SCHED_CLS');
      const vx = await TcDevice.open(sim.iface(h, 'vxlan0'));
      const ports = new Map<number, number>();
      portNames.push(ports);
      try {
        bpf
          .table<number, { tunnel_ifindex: number }>('conf')
          .set(0, { tunnel_ifindex: await vx.indexOf('vxlan0') });
        const remotes = [...Array(HOSTS).keys()]
          .filter((m) => m !== n)
          .map((m) => ipv4HostOrder(underlayIp(m)));
        for (const vni of VNIS) {
          const tp = await vx.indexOf(`tp${vni}`);
          ports.set(tp, vni);
          bpf.table<number, number>('vni2if').set(vni, tp);
          bpf.table<number, Partial<FloodList>>('flood').set(tp, {
            vni,
            count: remotes.length,
            remote_ipv4: [...remotes, ...Array<number>(8 - remotes.length).fill(0)],
            flooded: 0n,
          });
        }
        // classid mode, as BCC's example: the program's copy is what crosses; the original
        // goes on to a dead end (vxlan0 and tun<vni> have no addresses).
        links.push(await vx.attachBpf(ingress, { parent: 'ingress', directAction: false }));
      } finally {
        vx.close();
      }
      for (const vni of VNIS) {
        const port = await TcDevice.open(sim.iface(h, `tp${vni}`));
        try {
          links.push(await port.attachBpf(egress, { parent: 'egress', directAction: false }));
        } finally {
          port.close();
        }
      }
    }
    log('tunnel.c per host: handle_ingress on vxlan0 ingress, handle_egress on tp10/tp20 egress');

    const before: Record<string, number> = {};
    for (let n = 0; n < HOSTS; n++) before[`host${n}`] = await underlayRx(sim, `host${n}`);
    const pings: DistributedBridgeResult['pings'] = {};
    const pairs: Array<[number, number, number]> = [
      [0, 1, 10],
      [0, 2, 10],
      [1, 2, 10],
      [0, 1, 20],
      [2, 0, 20],
    ];
    for (const [a, b, vni] of pairs) {
      const r = await sim.exec(
        tenant(a, vni),
        'ping',
        '-c',
        String(count),
        '-i',
        '0.2',
        '-W',
        '2',
        tenantIp(b, vni),
      );
      const key = `${tenant(a, vni)}->${tenant(b, vni)}`;
      pings[key] = parsePingSummary(r.stdout);
      log(`${key} (vni ${vni}): ${pings[key]?.received}/${count} replies`);
    }
    // Across VNIs: t0v10 asks for t1v20's address, which exists only in VNI 20.
    const cross = await sim.exec(tenant(0, 10), 'ping', '-c', '1', '-W', '1', tenantIp(1, 20));
    pings[`${tenant(0, 10)}->${tenant(1, 20)}`] = parsePingSummary(cross.stdout);
    log(`${tenant(0, 10)}->${tenant(1, 20)} (other VNI): ${parsePingSummary(cross.stdout).received} replies`);
    const underlayRxPackets: Record<string, number> = {};
    for (let n = 0; n < HOSTS; n++) {
      underlayRxPackets[`host${n}`] = (await underlayRx(sim, `host${n}`)) - (before[`host${n}`] ?? 0);
    }

    const learned: Learned[] = [];
    const flooded: Record<string, number> = {};
    objects.forEach((bpf, n) => {
      for (const [k, v] of bpf.table<VniKey, HostLeaf>('mac2host').entries()) {
        learned.push({
          host: `host${n}`,
          mac: u64ToMac(k.mac),
          vni: v.tunnel_id,
          remote: formatIPv4(v.remote_ipv4, { hostOrder: true }),
          rxPkts: Number(v.rx_pkts),
          txPkts: Number(v.tx_pkts),
        });
      }
      for (const [port, f] of bpf.table<number, FloodList>('flood').entries()) {
        flooded[`host${n}/${portNames[n]?.get(port) ?? port}`] = Number(f.flooded);
      }
    });
    learned.sort((x, y) => x.host.localeCompare(y.host) || x.vni - y.vni || x.mac.localeCompare(y.mac));
    for (const l of learned) {
      log(`${l.host} mac2host: vni ${l.vni} ${l.mac} behind ${l.remote} (rx ${l.rxPkts}, tx ${l.txPkts})`);
    }
    return { prefix, pings, learned, flooded, underlayRxPackets };
  } finally {
    for (const l of links.reverse()) await l.close();
    for (const o of objects) o.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string' } } });
  const r = await runDistributedBridge({
    count: values.count ? Number(values.count) : undefined,
    log: (l) => console.log(l),
  });
  console.log(`\nflooded frames per host/vni: ${JSON.stringify(r.flooded)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
