/**
 * neighbor_sharing: per-IP rate limiting for neighbours who share our uplink (BCC's
 * examples/networking/neighbor_sharing).
 *
 * Testbed `neighbor_sharing` (BCC's): wan0, neighbor0..2 and local0..1 on one bridge, br100, in
 * the testbed's fabric namespace — the operator's switch. On its ports:
 * - neighborN-port ingress: a learning classifier puts every IPv4 source address a neighbour
 *   sends from into the class "neighbors" (BCC's classify_neighbor);
 * - wan0-port ingress (traffic from the WAN towards the hosts): the classifier puts packets for
 *   a learned neighbour into "neighbors" (128 kbit/s for all of them together) and everything
 *   else into "others" (1 Mbit/s) (BCC's classify_wan and pass).
 * Both are {@link PerIpRateLimit} (tsbcc's recipe); the limit itself is RateLimit's: where this
 * kernel can shape (htb, via an ifb device for ingress) it shapes, and the example prints the
 * mechanism and the reason. `--strategy police` asks for policing (act_police) instead.
 *
 * With --duration S: iperf3 for S seconds from wan0 to each neighbour and each local, then to
 * two neighbours at once; each must be within 15% of its limit (the pair within 15% of 128
 * kbit/s together).
 */
import { PerIpRateLimit, perIpClassifierSource, type Link } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';
import {
  choiceOption,
  exampleCommand,
  numberOption,
  rateOption,
  runExampleMain,
  runIfMain,
  type CommonRunOptions,
  type LogFn,
} from '../../common/cli.js';
import { holdUntilStopped } from '../../common/interactive.js';
import { Checks, formatRate, formatTable, type ExampleReport } from '../../common/report.js';

const NEIGHBORS = ['neighbor0', 'neighbor1', 'neighbor2'] as const;
const LOCALS = ['local0', 'local1'] as const;
/** The ifb device ingress shaping uses (in the fabric namespace, next to br100). */
const IFB = 'ifb-wan0';

/** One iperf3 measurement against its limit. */
export interface RateMeasurement {
  /** What was measured, e.g. "wan0 -> neighbor0" or "wan0 -> neighbor0 + neighbor1". */
  what: string;
  /** The class's limit, bits/s. */
  limitBps: number;
  /** What the receiver(s) got, bits/s (summed for the pair). */
  measuredBps: number;
}

/** What the example observed. */
export interface NeighborSharingResult extends ExampleReport {
  /** The mechanism RateLimit chose (e.g. "ifb+htb") and why. */
  strategy: string;
  reason: string;
  /** The address table after the run (learned neighbours). */
  learned: Array<{ address: string; class: string }>;
  measurements: RateMeasurement[];
  /** Packets/bytes the classifier put into each class. */
  classCounts: Array<{ class: string; packets: number; bytes: number }>;
}

/** Options of {@link runNeighborSharing}. */
export interface NeighborSharingOptions extends CommonRunOptions {
  /** Neighbours' combined rate (default 128kbit). */
  neighborRate?: string;
  /** Everyone else's rate (default 1mbit). */
  otherRate?: string;
  strategy?: 'auto' | 'police' | 'htb';
  /** Allowed deviation from the limit (default 0.15). */
  tolerance?: number;
  /** Print the generated classifier source. */
  printProgram?: (source: string) => void;
}

function parseRateBps(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)bit$/i.exec(rate);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m?.[2] ?? '').toLowerCase()] ?? 1;
  return Number(m?.[1]) * scale;
}

/** A class name as the output shows it: unassigned addresses fall into the default class. */
function label(cls: string): string {
  return cls === '(unassigned)' ? 'unassigned (so: others)' : cls;
}

/**
 * iperf3's socket buffers for a path limited to `bps`: about a quarter second of data, at least
 * 16 KiB. With the default (megabytes) iperf3 queues many seconds of data at 128 kbit/s and
 * waits for it after the test time; the rate measured is the same.
 */
function windowFor(bps: number): number {
  return Math.max(16384, bps / 8 / 4);
}

/** Brings up BCC's topology, deploys the classifiers and limits, measures (or waits for Ctrl-C). */
export async function runNeighborSharing(opts: NeighborSharingOptions = {}): Promise<NeighborSharingResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 5 };
  const neighborRate = opts.neighborRate ?? '128kbit';
  const otherRate = opts.otherRate ?? '1mbit';
  const tolerance = opts.tolerance ?? 0.15;

  await using sim = await Simulation.start('neighbor_sharing');
  const fabric = sim.fabricNs;
  log(
    `testbed ${sim.prefix} up: ${sim.hosts.join(', ')} on br100 (the operator's switch, namespace ${fabric})`,
  );

  const links: Link[] = [];
  try {
    const limit = await PerIpRateLimit.create({
      interface: 'wan0-port',
      netns: fabric,
      direction: 'ingress',
      match: 'destination',
      classes: [
        { name: 'neighbors', rate: neighborRate },
        { name: 'others', rate: otherRate },
      ],
      defaultClass: 'others',
      strategy: opts.strategy ?? 'auto',
      ifbName: IFB,
    });
    links.push(limit);
    log(
      `br100 port wan0-port (from the WAN): neighbours ${neighborRate} together, everything else ${otherRate}`,
    );
    log(`  limited by ${limit.strategy}: ${limit.reason}`);
    for (const n of NEIGHBORS)
      await limit.learn({ interface: `${n}-port`, netns: fabric, class: 'neighbors' });
    log(`br100 ports ${NEIGHBORS.map((n) => `${n}-port`).join(', ')}: learning neighbour addresses`);

    await sim.iperfServers([...NEIGHBORS, ...LOCALS]);
    // The hosts talk first, as BCC's netperf servers did when they answered: the neighbours'
    // addresses are learned from their own packets.
    await Promise.all(
      [...NEIGHBORS, ...LOCALS].map((h) => sim.run(h, 'ping', '-c', '1', '-W', '2', sim.ip('wan0'))),
    );
    const printLearned = (): string => {
      const l = limit.entries();
      return l.length === 0 ? '(none yet)' : l.map((e) => `${e.address} (${e.class})`).join(', ');
    };
    log(`learned: ${printLearned()}`);

    const measurements: RateMeasurement[] = [];
    const neighborBps = parseRateBps(neighborRate);
    const otherBps = parseRateBps(otherRate);
    if (mode.kind === 'duration') {
      const seconds = mode.seconds;
      for (const h of [...NEIGHBORS, ...LOCALS]) {
        const limitBps = h.startsWith('neighbor') ? neighborBps : otherBps;
        const r = await sim.iperfClient('wan0', sim.ip(h), { seconds, window: windowFor(limitBps) });
        measurements.push({ what: `wan0 -> ${h}`, limitBps, measuredBps: r.bps });
        log(`wan0 -> ${h} (${seconds} s): ${formatRate(r.bps)} (limit ${formatRate(limitBps)})`);
      }
      // Two neighbours at once. TCP flows through one FIFO class at this rate do not share it
      // fairly (this kernel has no sfq/fq_codel to put under the class): one flow may wait
      // until the other is done, so iperf3's per-flow rates over per-flow windows do not add
      // up. The cap is measured where it applies: the bytes both neighbours received on the
      // wire, from the start of the two transfers until both ended.
      const both = [NEIGHBORS[0], NEIGHBORS[1]];
      const c0 = await Promise.all(both.map((h) => sim.counters(h, 'eth0')));
      const t0 = performance.now();
      const pair = await Promise.all(
        both.map((h) => sim.iperfClient('wan0', sim.ip(h), { seconds, window: windowFor(neighborBps) })),
      );
      const t1 = performance.now();
      const c1 = await Promise.all(both.map((h) => sim.counters(h, 'eth0')));
      const wireBytes = c1.reduce((n, c, i) => n + c.rxBytes - (c0[i]?.rxBytes ?? 0), 0);
      const wireBps = (wireBytes * 8) / ((t1 - t0) / 1000);
      measurements.push({
        what: `wan0 -> ${both.join(' + ')} (on the wire)`,
        limitBps: neighborBps,
        measuredBps: wireBps,
      });
      log(
        `wan0 -> ${both.join(' and ')} at once: ${formatRate(wireBps)} together on the wire over the ${((t1 - t0) / 1000).toFixed(1)} s both took (limit ${formatRate(neighborBps)} together); iperf3 per flow: ${pair.map((r) => `${formatRate(r.bps)} over ${r.seconds.toFixed(1)} s`).join(', ')}`,
      );
    } else {
      let last = '';
      await holdUntilStopped(
        mode,
        sim,
        log,
        [
          {
            note: `a neighbour: ${neighborRate} (shared by all neighbours)`,
            host: 'wan0',
            argv: ['iperf3', '-c', sim.ip('neighbor0'), '-t', '5'],
          },
          {
            note: `one of ours: ${otherRate}`,
            host: 'wan0',
            argv: ['iperf3', '-c', sim.ip('local0'), '-t', '5'],
          },
          {
            note: "two neighbours at once: together still the neighbours' rate",
            host: 'wan0',
            argv: [
              'sh',
              '-c',
              `iperf3 -c ${sim.ip('neighbor0')} -t 5 -i 0 & iperf3 -c ${sim.ip('neighbor1')} -t 5 -i 0; wait`,
            ],
          },
          limit.strategy === 'police'
            ? {
                note: 'the policers on the WAN port, with their drops',
                netns: fabric,
                argv: ['tc', '-s', 'filter', 'show', 'dev', 'wan0-port', 'ingress'],
              }
            : {
                note: 'the shaping classes (1:1 neighbours, 1:2 everyone else), with their counters',
                netns: fabric,
                argv: ['tc', '-s', 'class', 'show', 'dev', IFB],
              },
        ],
        {
          tick: () => {
            const line = `learned: ${printLearned()}; classified: ${limit
              .counts()
              .map((c) => `${label(c.class)} ${c.packets} pkts`)
              .join(', ')}`;
            if (line !== last) log(line);
            last = line;
          },
        },
      );
    }

    const learned = limit.entries();
    const classCounts = limit.counts();
    const checks = new Checks();
    const neighborIps = NEIGHBORS.map((n) => sim.ip(n));
    checks.add(
      'the neighbours (and only they) were learned',
      JSON.stringify(learned) ===
        JSON.stringify(neighborIps.map((address) => ({ address, class: 'neighbors' }))),
      learned.map((e) => e.address).join(', ') || 'none',
    );
    for (const m of measurements) {
      checks.within(
        `${m.what} within ${tolerance * 100}% of ${formatRate(m.limitBps)}`,
        m.measuredBps,
        m.limitBps,
        tolerance,
        formatRate,
      );
    }
    if (measurements.length > 0)
      log(
        formatTable([
          ['measured', 'limit', 'got', 'of limit'],
          ...measurements.map((m) => [
            m.what,
            formatRate(m.limitBps),
            formatRate(m.measuredBps),
            `${((m.measuredBps / m.limitBps) * 100).toFixed(1)}%`,
          ]),
        ]),
      );
    log(
      `classified: ${classCounts.map((c) => `${c.class} ${c.packets} packets/${c.bytes} bytes`).join(', ')}`,
    );
    return {
      example: 'neighbor_sharing',
      prefix: sim.prefix,
      checks: checks.list,
      summary: [
        `limited by ${limit.strategy}`,
        ...measurements.map(
          (m) =>
            `${m.what}: ${formatRate(m.measuredBps)} of ${formatRate(m.limitBps)} (${((m.measuredBps / m.limitBps) * 100).toFixed(0)}%)`,
        ),
      ],
      strategy: limit.strategy,
      reason: limit.reason,
      learned,
      measurements,
      classCounts,
    };
  } finally {
    for (const l of links.reverse()) await l.close();
  }
}

/** `tsbcc example neighbor_sharing [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'neighbor_sharing',
    'per-IP rate limiting: neighbours share one limit, everyone else has another (BCC topology)',
  )
    .option('--neighbor-rate <rate>', "the neighbours' combined rate", rateOption('neighbor-rate'), '128kbit')
    .option('--other-rate <rate>', "everyone else's rate", rateOption('other-rate'), '1mbit')
    .option(
      '--strategy <how>',
      'auto (shape where the kernel can, as RateLimit decides), htb, or police (needs act_police)',
      choiceOption('strategy', ['auto', 'htb', 'police'] as const),
      'auto' as const,
    )
    .option('--print-program', 'print the BCC-C the classifiers are compiled from, and exit')
    .option(
      '--tolerance <fraction>',
      'allowed deviation from a limit',
      numberOption('tolerance', { min: 0, max: 1 }),
      0.15,
    )
    .addHelpText(
      'after',
      '\nWith --duration S (at least 5 gives stable numbers), iperf3 runs S seconds from wan0 to each\n' +
        'neighbour and local, then to two neighbours at once; exit 0 when each is within the tolerance.',
    );
  if (argv.includes('--print-program')) {
    console.log(
      perIpClassifierSource({ classes: 2, matchDestination: true, defaultClass: 2, maxAddresses: 4096 }),
    );
    return Promise.resolve(0);
  }
  return runExampleMain<{
    neighborRate: string;
    otherRate: string;
    strategy: 'auto' | 'htb' | 'police';
    tolerance: number;
  }>(cmd, argv, (o, common) =>
    runNeighborSharing({
      ...common,
      neighborRate: o.neighborRate,
      otherRate: o.otherRate,
      strategy: o.strategy,
      tolerance: o.tolerance,
    }),
  );
}

runIfMain(import.meta.url, main);
