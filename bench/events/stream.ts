/**
 * bench/events: 64-byte events from a tracepoint (1 and 4 per getppid() of a producer process),
 * consumed and decoded by tsbcc (ring buffer and perf buffer), BCC's Python bindings and a
 * libbpf C reference. The perf rows run twice: every consumer with a wakeup per record, then
 * every consumer with a wakeup per 64 records (tsbcc's wakeupEvents, BCC's wakeup_events, the
 * perf attribute for libbpf C). Offered (what the producer generated) and delivered are both
 * printed, since consumers compete with the producer for the CPUs; "delivered" is what a
 * consumer handed over divided by the time from the start until its last record (a consumer
 * that buffers is not credited for records it decodes after the producer stopped), and
 * "done after" is that time. "consumer CPU per record" is the consumer process's CPU time
 * (every thread; not the producer's) during the run divided by the records it delivered: what
 * draining, decoding and the callback cost, which a loaded machine does not distort the way it
 * distorts rates (the C reference does not decode; tsbcc builds a JS object per record). `--rates R1,R2,...` adds a sweep at paced offered rates (events/s,
 * 4 per call): tsbcc and libbpf C at the same offered rate, ring buffer and perf buffer with a
 * wakeup per 64 records, to show where each stays lossless. Every group of consumers run alike
 * (the same stream, burst and wakeup setting) alternates: one untimed warm-up run of each
 * (`--warmup` seconds), then `--reps` repetitions in which each consumer runs once, in an order
 * rotated per repetition; each row is the consumer's repetition with the median delivered rate
 * (all its columns from that one run), with the repetitions tsbcc delivered more than
 * libbpf C in the same repetition, and say when both consumers were lossless (then the ratio is
 * the producer's rate beside each consumer, not a consumer speed-up). The load average is
 * printed per group.
 * Run: `node dist/bench/events/stream.js [--seconds 2 --bursts 1,4 --rates 200000,800000 --reps 3
 * --warmup 0.5]` or `npx vite-node bench/events/stream.ts [...]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BPF, compile, type TypeLayout } from '../../src/index.js';
import { bccHeaders, benchSourceDir, gccBuild, runJson } from '../peer-env.js';

const args = process.argv.slice(2);
const i = args.indexOf('--seconds');
const SECONDS = i >= 0 ? Number(args[i + 1]) : 2;
const j = args.indexOf('--bursts');
const BURSTS = (j >= 0 ? (args[j + 1] ?? '1,4') : '1,4')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
const k = args.indexOf('--rates');
const RATES = k >= 0 ? (args[k + 1] ?? '').split(',').filter(Boolean).map(Number) : [];
const opt = (name: string, def: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : def;
};
const REPS = opt('reps', 3);
const WARMUP = opt('warmup', 0.5);
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const here = benchSourceDir(import.meta.url);

const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false };
const u64: TypeLayout = { kind: 'int', name: 'unsigned long long', size: 8, signed: false };
// What the compiler captures from BTF for `struct event` (the libbpf-style source carries no
// BCC event annotation, so the bench states it).
const event: TypeLayout = {
  kind: 'struct',
  name: 'event',
  size: 64,
  fields: [
    { name: 'pid', offset: 0, type: u32 },
    { name: 'cpu', offset: 4, type: u32 },
    { name: 'seq', offset: 8, type: u64 },
    { name: 'ts', offset: 16, type: u64 },
    {
      name: 'comm',
      offset: 24,
      type: {
        kind: 'array',
        name: 'char[16]',
        size: 16,
        length: 16,
        element: { kind: 'int', name: 'char', size: 1, signed: true, char: true },
      },
    },
    { name: 'pad', offset: 40, type: { kind: 'array', name: 'u64[3]', size: 24, length: 3, element: u64 } },
  ],
};

interface Result {
  calls: number;
  seconds: number;
  /** Seconds from the start signal until the consumer had handed over its last record. */
  drained: number;
  received: number;
  drops: number;
  lost: number;
  /** CPU seconds the consumer process used (all its threads; not the producer's) during the run. */
  cpu: number;
}

const spec = await compile({ file: join(here, 'events.bpf.c') });
spec.events = { rb: event, events: event };
const objPath = '/tmp/tsbcc-bench-events.bpf.o';
writeFileSync(objPath, spec.elf);
const producer = gccBuild(join(here, 'producer.c'), '/tmp/tsbcc-bench-producer');
const cConsumer = gccBuild(join(here, 'libbpf_consumer.c'), '/tmp/tsbcc-bench-consumer');

async function tsbcc(
  mode: 'ring' | 'perf',
  burst: number,
  wakeupEvents = 1,
  pace = 0,
  runSeconds = SECONDS,
): Promise<Result> {
  const b = BPF.fromSpec(spec);
  try {
    let received = 0;
    let lost = 0;
    let sink = 0n;
    const onEvent = (e: { seq: bigint }): void => {
      sink += e.seq;
      received++;
    };
    const reader =
      mode === 'ring'
        ? b.openRingBuffer('rb', onEvent)
        : b.openPerfBuffer('events', onEvent, { pageCount: 256, wakeupEvents, lost: (n) => (lost += n) });
    const p = spawn(producer, [String(runSeconds), String(pace)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((resolve) => p.on('exit', () => resolve()));
    const cfg = b.table<number, number>('cfg');
    cfg.set(0, p.pid ?? 0);
    cfg.set(1, mode === 'ring' ? 1 : 2);
    cfg.set(2, burst);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    p.stdin.write('go\n');
    await done;
    reader.consume();
    const drained = Number(process.hrtime.bigint() - t0) / 1e9;
    const used = process.cpuUsage(c0);
    if (sink < 0n) throw new Error('unreachable');
    const [calls = '0', seconds = '0'] = out.trim().split(/\s+/);
    const drops = Number(b.table<number, bigint>('stats').get(0) ?? 0n);
    return {
      calls: Number(calls) * burst,
      seconds: Number(seconds),
      drained,
      received,
      drops,
      lost,
      cpu: (used.user + used.system) / 1e6,
    };
  } finally {
    b.close();
  }
}

const rate = (r: Result): number => r.received / r.drained;
const offered = (r: Result): number => r.calls / r.seconds;
// A perf record the kernel could not write is refused to the program (counted in drops) and
// reported again as a lost record (lost): the same events, so the larger count, not the sum.
const lostPct = (r: Result): number => (Math.max(r.drops, r.lost) / Math.max(1, r.calls)) * 100;
/** The consumer's CPU time per delivered record: what decoding and delivery cost, whatever the load. */
const cpuPer = (r: Result): number => (r.cpu / Math.max(1, r.received)) * 1e9;
const ns = (x: number): string => `${x.toFixed(0)} ns`;
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);

/** One consumer of a group: a label and how to run it for some seconds. */
interface Consumer {
  tool: string;
  run: (seconds: number) => Promise<Result>;
  results: Result[];
}
const consumer = (tool: string, run: (seconds: number) => Promise<Result> | Result): Consumer => ({
  tool,
  run: async (s) => run(s),
  results: [],
});
/** A run of a peer process (libbpf C or BCC Python): argv after the seconds. */
const cRun =
  (mode: 'ring' | 'perf', burst: number, wakeup: number, pace = 0) =>
  (s: number) =>
    runJson<Result>(cConsumer, [
      objPath,
      producer,
      String(s),
      mode,
      String(burst),
      String(wakeup),
      String(pace),
    ]);
const bccRun = (mode: 'ring' | 'perf', burst: number, wakeup: number) => (s: number) => {
  const undo = bccHeaders();
  try {
    return runJson<Result>('/usr/bin/python3', [
      join(here, 'bcc_consumer.py'),
      producer,
      String(s),
      mode,
      String(burst),
      String(wakeup),
    ]);
  } finally {
    undo();
  }
};

/**
 * Runs a group of consumers alike: one untimed warm-up run of each (--warmup seconds), then
 * --reps repetitions in which every consumer runs once, the order rotated by one each time, so
 * a swing of the machine's load hits all of them alike.
 */
async function runGroup(group: Consumer[]): Promise<string> {
  const l0 = load();
  for (const c of group) await c.run(WARMUP);
  for (let r = 0; r < REPS; r++)
    for (let i = 0; i < group.length; i++) {
      const c = group[(i + r) % group.length] as Consumer;
      c.results.push(await c.run(SECONDS));
    }
  return `${l0} -> ${load()}`;
}
/** A consumer's repetition with the median delivered rate: every column of its row comes from it. */
function medRun(c: Consumer): Result {
  const s = [...c.results].sort((x, y) => rate(x) - rate(y));
  return s[Math.floor(s.length / 2)] as Result;
}
/** One measure of a consumer's median repetition. */
const med = (c: Consumer, f: (r: Result) => number): number => f(medRun(c));
/** Repetitions in which `a` delivered more than `b` (same repetition, so the same load). */
const wins = (a: Consumer, b: Consumer): number =>
  a.results.filter((r, i) => rate(r) > rate(b.results[i] as Result)).length;
const bothLossless = (a: Consumer, b: Consumer): boolean => med(a, lostPct) < 0.05 && med(b, lostPct) < 0.05;

const tables = new Map<number, string[]>();
const loads: string[] = [];
/** Table rows for one group; ratios of medians against that group's libbpf C and BCC. */
function emit(rows: string[], stream: string, group: Consumer[]): void {
  const py = group.find((g) => g.tool.startsWith('BCC'));
  const c = group.find((g) => g.tool.startsWith('libbpf C'));
  if (!py || !c) throw new Error('a group needs its BCC and libbpf C consumers');
  for (const g of group) {
    const d = med(g, rate);
    let ratio = `${(d / med(c, rate)).toFixed(2)}x C`;
    if (g !== c) ratio += ` (${wins(g, c)}/${REPS} won)`;
    if (g.tool.startsWith('tsbcc')) ratio += `, ${(d / med(py, rate)).toFixed(1)}x BCC`;
    // both delivered what they were offered: the ratio compares the producer's rates beside
    // each consumer, not how fast the consumers can go
    if (g !== c && bothLossless(g, c)) ratio += '; both lossless: offered rates';
    const cpu = med(g, cpuPer);
    rows.push(
      `| ${stream} | ${g.tool} | ${fmt(med(g, offered))} | ${fmt(d)} | ${med(g, lostPct).toFixed(1)}% | ${med(g, (r) => r.drained).toFixed(2)} s | ${ratio} | ${ns(cpu)} (${(cpu / med(c, cpuPer)).toFixed(2)}x C) |`,
    );
  }
}
for (const burst of BURSTS) {
  const rows = tables.get(burst) ?? [];
  tables.set(burst, rows);
  const ring = [
    consumer('tsbcc (decoded JS objects)', (s) => tsbcc('ring', burst, 1, 0, s)),
    consumer('BCC Python (event() in a callback)', bccRun('ring', burst, 1)),
    consumer('libbpf C (callback, no decoding)', cRun('ring', burst, 1)),
  ];
  loads.push(`ring, ${burst}/call: ${await runGroup(ring)}`);
  emit(rows, 'ring buffer', ring);
  // the same wakeup setting for every consumer of a group: a wakeup per record, then per 64
  for (const wakeup of [1, 64]) {
    const perf = [
      consumer(
        wakeup === 1 ? 'tsbcc (decoded JS objects)' : 'tsbcc, wakeupEvents 64 (decoded JS objects)',
        (s) => tsbcc('perf', burst, wakeup, 0, s),
      ),
      consumer(
        wakeup === 1 ? 'BCC Python (event() in a callback)' : 'BCC Python, wakeup_events=64',
        bccRun('perf', burst, wakeup),
      ),
      consumer(
        wakeup === 1 ? 'libbpf C (callback, no decoding)' : 'libbpf C, wakeup_events 64',
        cRun('perf', burst, wakeup),
      ),
    ];
    loads.push(`perf, wakeup ${wakeup}, ${burst}/call: ${await runGroup(perf)}`);
    emit(rows, 'perf buffer', perf);
  }
}
const sweep: string[] = [];
for (const events of RATES) {
  const pace = Math.round(events / 4);
  for (const [mode, wakeup] of [
    ['ring', 1],
    ['perf', 64],
  ] as const) {
    const stream = mode === 'ring' ? 'ring buffer' : 'perf buffer, wakeup per 64';
    const group = [
      consumer('tsbcc', (s) => tsbcc(mode, 4, wakeup, pace, s)),
      consumer('libbpf C', cRun(mode, 4, wakeup, pace)),
    ];
    loads.push(`paced ${fmt(events)}, ${stream}: ${await runGroup(group)}`);
    const [ts, c] = group as [Consumer, Consumer];
    for (const g of group) {
      const won = g === ts ? `${wins(ts, c)}/${REPS}` : '-';
      sweep.push(
        `| ${fmt(events)} | ${stream} | ${g.tool} | ${fmt(med(g, offered))} | ${fmt(med(g, rate))} | ${med(g, lostPct).toFixed(1)}% | ${med(g, (r) => r.drained).toFixed(2)} s | ${won} | ${ns(med(g, cpuPer))} |`,
      );
    }
  }
}
const header =
  '| stream | consumer | offered | delivered | lost | done after | ratio (delivered; repetitions won against C) | consumer CPU per record |\n| --- | --- | --- | --- | --- | --- | --- | --- |';
console.log(
  `\nEach row is the consumer's repetition with the median delivered rate (of ${REPS}); in each repetition every consumer of a group runs once, ` +
    `in an order rotated per repetition, after one untimed ${WARMUP} s warm-up run of each. ` +
    `"both lossless: offered rates": both consumers delivered everything, so the ratio is the producer's ` +
    `rate beside each, not a consumer speed-up.`,
);
for (const [burst, rows] of tables) {
  console.log(`\n64-byte events, ${burst} per getppid() of a producer process, ${SECONDS} s per run\n`);
  console.log(header);
  for (const r of rows) console.log(r);
}
if (sweep.length > 0) {
  console.log(`\nPaced producer, 4 events per getppid(), ${SECONDS} s per run\n`);
  console.log(
    '| pace | stream | consumer | offered | delivered | lost | done after | repetitions tsbcc delivered more | consumer CPU per record |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of sweep) console.log(r);
}
console.log(`\nLoad average per group (start -> end):\n${loads.map((l) => `- ${l}`).join('\n')}`);
