/**
 * neighbor_sharing: per-IP rate limiting for neighbours who share our uplink.
 *
 * Testbed: a `wan` host (the uplink side) and three hosts on one bridge: two neighbours and
 * one of our own. A classifier on each neighbour's interface learns the neighbour's IPv4
 * address into the `learned_ips` table; on the wan side, an htb qdisc with a limited class
 * (1:1) and an unlimited one (1:2, the default) shapes downstream traffic, and the
 * `classify_wan` classifier (classid mode) puts every packet addressed to a learned neighbour
 * into the limited class. iperf3 then measures what each host receives.
 *
 * Run: node dist/examples/networking/neighbor_sharing/neighbor_sharing.js [--rate 4mbit]
 * [--seconds 3]. Everything is removed at the end, on Ctrl-C and on errors.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BPF, formatIPv4, InvalidArgumentError, TcDevice, Topology, type Link } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = here.includes(join('dist', 'examples'))
  ? join(here, '..', '..', '..', '..', 'examples', 'networking', 'neighbor_sharing', 'neighbor_sharing.c')
  : join(here, 'neighbor_sharing.c');

/** What the example measured. */
export interface NeighborSharingResult {
  /** The limited class's rate in bits/s. */
  limitBps: number;
  /** Throughput wan -> host in bits/s, by host. */
  received: Record<string, number>;
  /** Addresses the neighbours' classifier learned (dotted quads). */
  learned: string[];
}

const HOSTS = { wan: '10.98.0.1', neigh1: '10.98.0.11', neigh2: '10.98.0.12', us1: '10.98.0.21' } as const;

function parseRateBps(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|m|g)?bit$/i.exec(rate);
  if (!m) throw new InvalidArgumentError(`bad rate "${rate}": use e.g. 4mbit or 512kbit`);
  const mult = { k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  return Number(m[1]) * mult;
}

/** Builds the testbed, deploys the classifiers and the limit, measures, and removes it all. */
export async function runNeighborSharing(
  opts: { rate?: string; seconds?: number; log?: (line: string) => void } = {},
): Promise<NeighborSharingResult> {
  const log = opts.log ?? ((): void => undefined);
  const rate = opts.rate ?? '4mbit';
  const topology = new Topology('nbr').bridge('br0');
  for (const [host, ip] of Object.entries(HOSTS)) {
    topology.host(host).link({ host, ifname: 'eth0', addresses: [`${ip}/24`] }, { bridge: 'br0' });
  }

  await using sim = await Simulation.start(topology);
  log(`testbed up: hosts ${sim.hosts.join(', ')} (namespaces ${sim.ns('wan').replace(/-wan$/, '')}-*)`);
  using bpf = await BPF.create({ file: source });
  const classifyWan = bpf.loadFunc('classify_wan', 'SCHED_CLS');
  const classifyNeighbor = bpf.loadFunc('classify_neighbor', 'SCHED_CLS');

  const links: Link[] = [];
  try {
    for (const n of ['neigh1', 'neigh2']) {
      const dev = await TcDevice.open(sim.iface(n, 'eth0'));
      try {
        links.push(await dev.attachBpf(classifyNeighbor, { parent: 'egress', name: 'learn-neighbor' }));
      } finally {
        dev.close();
      }
    }
    const wan = await TcDevice.open(sim.iface('wan', 'eth0'));
    try {
      links.push(await wan.addQdisc({ kind: 'htb', handle: '1:', defaultClass: 2 }));
      links.push(await wan.addClass({ classid: '1:1', parent: '1:', rate }));
      links.push(await wan.addClass({ classid: '1:2', parent: '1:', rate: '10gbit' }));
      links.push(
        await wan.attachBpf(classifyWan, { parent: '1:', directAction: false, name: 'classify-wan' }),
      );
    } finally {
      wan.close();
    }
    log(`wan egress: htb 1:1 at ${rate} for learned neighbours, 1:2 unlimited for everyone else`);

    // The neighbours talk first, so their addresses are learned.
    for (const n of ['neigh1', 'neigh2', 'us1']) await sim.run(n, 'ping', '-c', '1', '-W', '2', HOSTS.wan);
    const learned = [...bpf.table<{ client_ip: number }, number>('learned_ips').keys()]
      // packet reads through the cursor are in host order, as in BCC
      .map((k) => formatIPv4(k.client_ip, { hostOrder: true }))
      .sort();
    log(`learned neighbour addresses: ${learned.join(', ')}`);

    const received: Record<string, number> = {};
    for (const h of ['neigh1', 'us1']) {
      received[h] = await sim.iperf('wan', h, { seconds: opts.seconds ?? 3 });
      log(`wan -> ${h}: ${(received[h] / 1e6).toFixed(2)} Mbit/s`);
    }
    return { limitBps: parseRateBps(rate), received, learned };
  } finally {
    for (const l of links.reverse()) await l.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, seconds: { type: 'string' } } });
  const r = await runNeighborSharing({
    rate: values.rate,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    log: (l) => console.log(l),
  });
  const neigh = r.received.neigh1 ?? 0;
  const us = r.received.us1 ?? 0;
  console.log(
    `\nneighbour limited to ${(neigh / 1e6).toFixed(2)} of ${(r.limitBps / 1e6).toFixed(2)} Mbit/s; our host got ${(us / 1e6).toFixed(2)} Mbit/s`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
