/**
 * bench/events: 64-byte events from a tracepoint (1 and 4 per getppid() of a producer process),
 * consumed and decoded by tsbcc (ring buffer and perf buffer), BCC's Python bindings and a
 * libbpf C reference. Run: `npx vite-node bench/events/stream.ts [-- --seconds 2]`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BPF, compile, type TypeLayout } from '../../src/index.js';
import { bccHeaders, gccBuild, runJson } from '../peer-env.js';

const args = process.argv.slice(2);
const i = args.indexOf('--seconds');
const SECONDS = i >= 0 ? Number(args[i + 1]) : 2;
const j = args.indexOf('--bursts');
const BURSTS = (j >= 0 ? (args[j + 1] ?? '1,4') : '1,4').split(',').map(Number);
const here = import.meta.dirname;

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
  received: number;
  drops: number;
  lost: number;
}

const spec = await compile({ file: join(here, 'events.bpf.c') });
spec.events = { rb: event, events: event };
const objPath = '/tmp/tsbcc-bench-events.bpf.o';
writeFileSync(objPath, spec.elf);
const producer = gccBuild(join(here, 'producer.c'), '/tmp/tsbcc-bench-producer');
const cConsumer = gccBuild(join(here, 'libbpf_consumer.c'), '/tmp/tsbcc-bench-consumer');

async function tsbcc(mode: 'ring' | 'perf', burst: number, wakeupEvents = 1): Promise<Result> {
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
    const p = spawn(producer, [String(SECONDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((resolve) => p.on('exit', () => resolve()));
    const cfg = b.table<number, number>('cfg');
    cfg.set(0, p.pid ?? 0);
    cfg.set(1, mode === 'ring' ? 1 : 2);
    cfg.set(2, burst);
    p.stdin.write('go\n');
    await done;
    reader.consume();
    if (sink < 0n) throw new Error('unreachable');
    const [calls = '0', seconds = '0'] = out.trim().split(/\s+/);
    const drops = Number(b.table<number, bigint>('stats').get(0) ?? 0n);
    return { calls: Number(calls) * burst, seconds: Number(seconds), received, drops, lost };
  } finally {
    b.close();
  }
}

const rate = (r: Result): number => r.received / r.seconds;
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);
const tables = new Map<number, string[]>();
for (const burst of BURSTS) {
  for (const mode of ['ring', 'perf'] as const) {
    const rows = tables.get(burst) ?? [];
    tables.set(burst, rows);
    const ts = await tsbcc(mode, burst);
    const c = runJson<Result>(cConsumer, [objPath, producer, String(SECONDS), mode, String(burst)]);
    const undo = bccHeaders();
    let py: Result;
    try {
      py = runJson<Result>('/usr/bin/python3', [
        join(here, 'bcc_consumer.py'),
        producer,
        String(SECONDS),
        mode,
        String(burst),
      ]);
    } finally {
      undo();
    }
    const extra: [string, Result][] =
      mode === 'perf'
        ? [['tsbcc, wakeupEvents 64 (decoded JS objects)', await tsbcc('perf', burst, 64)]]
        : [];
    for (const [tool, r] of [
      ['tsbcc (decoded JS objects)', ts],
      ...extra,
      ['BCC Python (event() in a callback)', py],
      ['libbpf C (callback, no decoding)', c],
    ] as const) {
      const lostPct = ((r.drops + r.lost) / Math.max(1, r.calls)) * 100;
      rows.push(
        `| ${mode === 'ring' ? 'ring buffer' : 'perf buffer'} | ${tool} | ${fmt(r.calls / r.seconds)} | ${fmt(rate(r))} | ${lostPct.toFixed(1)}% | ${(rate(r) / rate(c)).toFixed(2)}x C${tool.startsWith('tsbcc') ? `, ${(rate(r) / rate(py)).toFixed(1)}x BCC` : ''} |`,
      );
    }
  }
}
for (const [burst, rows] of tables) {
  console.log(`\n64-byte events, ${burst} per getppid() of a producer process, ${SECONDS} s per run\n`);
  console.log(
    '| stream | consumer | offered | delivered | lost | ratio |\n| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of rows) console.log(r);
}
