/**
 * simple_tc: the smallest tc example. The `hello` classifier (it classifies every packet into
 * class 1 and lets it pass) goes on the ingress of t1b in host "b" of a two-host testbed; `tc
 * filter show` in that host then lists it, pings from "a" still pass through it, and removing
 * the filter leaves the interface as it was.
 *
 * Run: node dist/examples/networking/simple_tc/simple_tc.js [--count 3]. Everything is removed
 * at the end, on Ctrl-C and on errors.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BPF, TcDevice } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = here.includes(join('dist', 'examples'))
  ? join(here, '..', '..', '..', '..', 'examples', 'networking', 'simple_tc', 'simple_tc.c')
  : join(here, 'simple_tc.c');

/** What the example observed. */
export interface SimpleTcResult {
  /** The testbed's per-run prefix (its namespaces are `<prefix>-a`, `<prefix>-b`). */
  prefix: string;
  /** `tc filter show dev t1b ingress` in host b while the classifier was attached. */
  filterShow: string;
  /** The program id the kernel gave `hello`. */
  programId: number;
  /** Echo requests sent from a to b and replies received, with the classifier attached. */
  pings: { sent: number; received: number };
  /** `tc filter show dev t1b ingress` after the filter was removed. */
  filterShowAfter: string;
}

/** Parses "N packets transmitted, M received" from ping's summary. */
export function parsePingSummary(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : { sent: 0, received: 0 };
}

/** Brings up the testbed, attaches `hello`, shows it, pings through it, removes it all. */
export async function runSimpleTc(
  opts: { count?: number; log?: (line: string) => void } = {},
): Promise<SimpleTcResult> {
  const log = opts.log ?? ((): void => undefined);
  const count = opts.count ?? 3;
  await using sim = await Simulation.start('simple_tc');
  const prefix = sim.net.prefix;
  log(`testbed up: hosts ${sim.hosts.join(', ')} (namespaces ${prefix}-*)`);
  using bpf = await BPF.create({ file: source });
  const hello = bpf.loadFunc('hello', 'SCHED_CLS');

  const dev = await TcDevice.open(sim.iface('b', 't1b'));
  let filterShow: string;
  let pings: { sent: number; received: number };
  try {
    // Classid mode, as BCC's example (`tc filter add ... bpf ... classid 1`): the return value
    // 1 is a class, not a verdict, so the packet passes.
    const filter = await dev.attachBpf(hello, { parent: 'ingress', directAction: false, classid: '0:1' });
    try {
      filterShow = await sim.run('b', 'tc', 'filter', 'show', 'dev', 't1b', 'ingress');
      log(`host b: tc filter show dev t1b ingress\n${filterShow.trimEnd()}`);
      const r = await sim.exec('a', 'ping', '-c', String(count), '-i', '0.2', '-W', '2', sim.ip('b'));
      pings = parsePingSummary(r.stdout);
      log(`ping a -> b through hello: ${pings.received}/${pings.sent} replies`);
    } finally {
      await filter.close();
    }
  } finally {
    dev.close();
  }
  const filterShowAfter = await sim.run('b', 'tc', 'filter', 'show', 'dev', 't1b', 'ingress');
  log(`filter removed; tc filter show lists ${filterShowAfter.trim() === '' ? 'nothing' : filterShowAfter}`);
  return { prefix, filterShow, programId: hello.id, pings, filterShowAfter };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string' } } });
  const r = await runSimpleTc({
    count: values.count ? Number(values.count) : undefined,
    log: (l) => console.log(l),
  });
  console.log(`\nhello (prog id ${r.programId}) passed ${r.pings.received} of ${r.pings.sent} pings`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
