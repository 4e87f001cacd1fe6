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
 * wakeup per 64 records, to show where each stays lossless.
 * Run: `npx vite-node bench/events/stream.ts [--seconds 2 --bursts 1,4 --rates 200000,800000]`
 * or `node dist/bench/events/stream.js [...]`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

async function tsbcc(mode: 'ring' | 'perf', burst: number, wakeupEvents = 1, pace = 0): Promise<Result> {
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
    const p = spawn(producer, [String(SECONDS), String(pace)], { stdio: ['pipe', 'pipe', 'inherit'] });
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
/** The consumer's CPU time per delivered record: what decoding and delivery cost, whatever the load. */
const cpuPer = (r: Result): number => (r.cpu / Math.max(1, r.received)) * 1e9;
const ns = (x: number): string => `${x.toFixed(0)} ns`;
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);
const tables = new Map<number, string[]>();
/** Table rows for one group of consumers run alike; ratios against that group's libbpf C and BCC. */
function emit(rows: string[], mode: 'ring' | 'perf', group: [string, Result][]): void {
  const py = group.find(([t]) => t.startsWith('BCC'))?.[1];
  const c = group.find(([t]) => t.startsWith('libbpf C'))?.[1];
  if (!py || !c) throw new Error('a group needs its BCC and libbpf C runs');
  for (const [tool, r] of group) {
    // A perf record the kernel could not write is refused to the program (counted in drops) and
    // reported again as a lost record (lost): the same events, so the larger count, not the sum.
    const lostPct = (Math.max(r.drops, r.lost) / Math.max(1, r.calls)) * 100;
    const vsBcc = tool.startsWith('tsbcc') ? `, ${(rate(r) / rate(py)).toFixed(1)}x BCC` : '';
    rows.push(
      `| ${mode === 'ring' ? 'ring buffer' : 'perf buffer'} | ${tool} | ${fmt(r.calls / r.seconds)} | ${fmt(rate(r))} | ${lostPct.toFixed(1)}% | ${r.drained.toFixed(2)} s | ${(rate(r) / rate(c)).toFixed(2)}x C${vsBcc} | ${ns(cpuPer(r))} (${(cpuPer(r) / cpuPer(c)).toFixed(2)}x C) |`,
    );
  }
}
for (const burst of BURSTS) {
  for (const mode of ['ring', 'perf'] as const) {
    const rows = tables.get(burst) ?? [];
    tables.set(burst, rows);
    const peers = (wakeup: number): { c: Result; py: Result } => {
      const c = runJson<Result>(cConsumer, [
        objPath,
        producer,
        String(SECONDS),
        mode,
        String(burst),
        String(wakeup),
      ]);
      const undo = bccHeaders();
      try {
        const py = runJson<Result>('/usr/bin/python3', [
          join(here, 'bcc_consumer.py'),
          producer,
          String(SECONDS),
          mode,
          String(burst),
          String(wakeup),
        ]);
        return { c, py };
      } finally {
        undo();
      }
    };
    const ts = await tsbcc(mode, burst);
    const { c, py } = peers(1);
    emit(rows, mode, [
      ['tsbcc (decoded JS objects)', ts],
      ['BCC Python (event() in a callback)', py],
      ['libbpf C (callback, no decoding)', c],
    ]);
    if (mode === 'perf') {
      // the same wakeup setting for every consumer: a wakeup per 64 records
      const w = peers(64);
      emit(rows, mode, [
        ['tsbcc, wakeupEvents 64 (decoded JS objects)', await tsbcc('perf', burst, 64)],
        ['BCC Python, wakeup_events=64', w.py],
        ['libbpf C, wakeup_events 64', w.c],
      ]);
    }
  }
}
/** One paced run of the libbpf C reference. */
const cPaced = (mode: 'ring' | 'perf', wakeup: number, pace: number): Result =>
  runJson<Result>(cConsumer, [objPath, producer, String(SECONDS), mode, '4', String(wakeup), String(pace)]);
const sweep: string[] = [];
for (const events of RATES) {
  const pace = Math.round(events / 4);
  for (const [mode, wakeup] of [
    ['ring', 1],
    ['perf', 64],
  ] as const) {
    const stream = mode === 'ring' ? 'ring buffer' : 'perf buffer, wakeup per 64';
    for (const [tool, r] of [
      ['tsbcc', await tsbcc(mode, 4, wakeup, pace)],
      ['libbpf C', cPaced(mode, wakeup, pace)],
    ] as const) {
      const lostPct = (Math.max(r.drops, r.lost) / Math.max(1, r.calls)) * 100;
      sweep.push(
        `| ${fmt(events)} | ${stream} | ${tool} | ${fmt(r.calls / r.seconds)} | ${fmt(rate(r))} | ${lostPct.toFixed(1)}% | ${r.drained.toFixed(2)} s | ${ns(cpuPer(r))} |`,
      );
    }
  }
}
const header =
  '| stream | consumer | offered | delivered | lost | done after | ratio (delivered) | consumer CPU per record |\n| --- | --- | --- | --- | --- | --- | --- | --- |';
for (const [burst, rows] of tables) {
  console.log(`\n64-byte events, ${burst} per getppid() of a producer process, ${SECONDS} s per run\n`);
  console.log(header);
  for (const r of rows) console.log(r);
}
if (sweep.length > 0) {
  console.log(`\nPaced producer, 4 events per getppid(), ${SECONDS} s per run\n`);
  console.log(
    '| pace | stream | consumer | offered | delivered | lost | done after | consumer CPU per record |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of sweep) console.log(r);
}
