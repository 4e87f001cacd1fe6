/**
 * bench/maps: dumping and clearing a 100,000-entry u32 -> u64 hash, tsbcc against BCC's Python
 * bindings (items(), items_lookup_batch(), clear(), items_delete_batch()) and a libbpf C reference
 * (batch lookup and batch delete, the physical limit). The peers run as processes that take one
 * command per line (bench/maps/bcc_hash.py, bench/maps/libbpf_hash.c), so the tools alternate per
 * repetition: in every repetition each tool does each operation once, in an order rotated from
 * one repetition to the next, and a swing of the machine's load hits every tool alike. Every
 * tool and operation gets one untimed warm-up, then --reps timed runs (clears: --clear-reps,
 * each after an untimed refill); medians of the wall time and of the process's CPU time (user +
 * system, every thread: what the load distorts least), and the repetitions tsbcc won (wall)
 * against its closest peer.
 * Run: `node dist/bench/maps/hash-dump.js [--n 100000 --reps 5 --clear-reps 5]` or
 * `npx vite-node bench/maps/hash-dump.ts [...]`.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { BPF, compile } from '../../src/index.js';
import { bccHeaders, benchSourceDir, gccBuild, median, ms } from '../peer-env.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('n', 100_000);
const REPS = opt('reps', 5);
const CLEAR_REPS = opt('clear-reps', REPS);
const here = benchSourceDir(import.meta.url);
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const SRC = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, ${N}); } h SEC(".maps");
char LICENSE[] SEC("license") = "GPL";
`;

/** Wall time and the process's CPU time (user + system, every thread) of one run, in ms. */
interface Timing {
  ms: number;
  cpu: number;
}

/** A peer process that answers each command line with one JSON line `{"ms": ..., "cpu": ...}`. */
class Peer {
  private readonly p: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  constructor(
    readonly name: string,
    cmd: string,
    argv: string[],
  ) {
    this.p = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.p.stdout })[Symbol.asyncIterator]();
  }
  /** Waits for the peer's first line, `{"ready": true}` (program loaded, map filled). */
  async ready(): Promise<void> {
    await this.next('start');
  }
  async run(command: string): Promise<Timing> {
    this.p.stdin.write(`${command}\n`);
    return JSON.parse(await this.next(command)) as Timing;
  }
  private async next(what: string): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.name} ended at "${what}" (exit ${this.p.exitCode})`);
    return r.value;
  }
  close(): void {
    this.p.stdin.end();
  }
}

function time(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000 };
}

const b = BPF.fromSpec(await compile(SRC, { name: 'bench_hash' }));
const t = b.table<number, bigint>('h');
const entries: [number, bigint][] = Array.from({ length: N }, (_, i) => [i, BigInt(i)]);
const fill = (): void => void t.updateBatch(entries);
fill();
const cBin = gccBuild(join(here, 'libbpf_hash.c'), '/tmp/tsbcc-bench-libbpf-hash');
const c = new Peer('libbpf C', cBin, [String(N)]);
await c.ready();
const undo = bccHeaders();
let bcc: Peer;
try {
  bcc = new Peer('BCC', '/usr/bin/python3', [join(here, 'bcc_hash.py'), String(N)]);
  await bcc.ready(); // BCC compiles its program at start: the headers stay linked until then
} finally {
  undo();
}

/** One operation of one tool: its label, its ratio's reference, and how to run it once. */
interface Op {
  op: string;
  tool: string;
  run: () => Promise<Timing>;
  times: Timing[];
}
const op = (opName: string, tool: string, run: () => Promise<Timing> | Timing): Op => ({
  op: opName,
  tool,
  run: async () => run(),
  times: [],
});
const dumps: Op[] = [
  op('dump, decoded into JS (lookupBatch)', 'tsbcc', () =>
    time(() => {
      const all = t.lookupBatch();
      if (all.length !== N || all[N - 1]?.[1] === undefined) throw new Error('short dump');
    }),
  ),
  op('dump, decoded into JS (for..of table)', 'tsbcc', () =>
    time(() => {
      let n = 0;
      for (const [k, v] of t) if (k >= 0 && v >= 0n) n++;
      if (n !== N) throw new Error('short iteration');
    }),
  ),
  op('dump', 'BCC items()', () => bcc.run('items')),
  op('dump', 'BCC items_lookup_batch()', () => bcc.run('batch')),
  op('dump (raw, no decoding)', 'libbpf C batch lookup', () => c.run('dump')),
];
const clears: Op[] = [
  op('clear()', 'tsbcc', () => {
    fill();
    const d = time(() => t.clear());
    if (t.size !== 0) throw new Error('clear left entries');
    return d;
  }),
  op('clear()', 'BCC clear()', () => bcc.run('clear')),
  op('clear', 'BCC items_delete_batch()', () => bcc.run('delete_batch')),
  op('clear', 'libbpf C delete batch', () => c.run('clear')),
];
const loads: string[] = [load()];
/** Rounds in which the first op was faster than the second. */
const wins = new Map<string, number>();
const won = (key: string, a: Op, bOp: Op): void => {
  const x = a.times.at(-1)?.ms ?? Infinity;
  const y = bOp.times.at(-1)?.ms ?? 0;
  wins.set(key, (wins.get(key) ?? 0) + (x < y ? 1 : 0));
};
try {
  // dumps first (the clears leave every map empty); one untimed warm-up of each, then the
  // repetitions, each tool once per repetition, the order rotated by one each time
  for (const group of [dumps, clears]) {
    const reps = group === dumps ? REPS : CLEAR_REPS;
    for (const o of group) await o.run();
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < group.length; i++) {
        const o = group[(i + r) % group.length] as Op;
        o.times.push(await o.run());
      }
      if (group === dumps) won('lookupBatch vs BCC items_lookup_batch()', dumps[0] as Op, dumps[3] as Op);
      else won('clear() vs BCC items_delete_batch()', clears[0] as Op, clears[2] as Op);
    }
    loads.push(load());
  }
} finally {
  c.close();
  bcc.close();
  b.close();
}

/** "tsbcc Nx faster" or "tsbcc Nx slower": a peer's time against tsbcc's. */
const versus = (peer: number, ours: number): string =>
  peer >= ours ? `tsbcc ${(peer / ours).toFixed(1)}x faster` : `tsbcc ${(ours / peer).toFixed(2)}x slower`;
const med = (o: Op): number => median(o.times.map((x) => x.ms));
const medCpu = (o: Op): number => median(o.times.map((x) => x.cpu));
const [tsDump, tsIter, bItems, bBatch, cDump] = dumps.map(med) as [number, number, number, number, number];
const [tsClear, bClear, bDelete, cClear] = clears.map(med) as [number, number, number, number];
const ratio = new Map<Op, string>([
  [dumps[0] as Op, `${(tsDump / cDump).toFixed(2)}x libbpf C`],
  [dumps[1] as Op, `${(tsIter / cDump).toFixed(2)}x libbpf C`],
  [dumps[2] as Op, versus(bItems, tsDump)],
  [dumps[3] as Op, versus(bBatch, tsDump)],
  [dumps[4] as Op, '1.0x'],
  [clears[0] as Op, `${(tsClear / cClear).toFixed(2)}x libbpf C`],
  [clears[1] as Op, versus(bClear, tsClear)],
  [clears[2] as Op, versus(bDelete, tsClear)],
  [clears[3] as Op, '1.0x'],
]);
console.log(
  `\n${N} entries u32 -> u64; every tool and operation: 1 untimed warm-up, then ${REPS} dumps and ` +
    `${CLEAR_REPS} clears, alternating tools per repetition; medians (all runs in brackets). ` +
    `Load average ${loads.join(' -> ')}\n`,
);
console.log(
  '| operation | tool | time (median) | runs | ratio | process CPU (median) | CPU ratio |\n| --- | --- | --- | --- | --- | --- | --- |',
);
/** The CPU-time reference of each row: libbpf C's for the same kind of operation. */
const cpuRef = (o: Op): number => medCpu(dumps.includes(o) ? (dumps[4] as Op) : (clears[3] as Op));
for (const o of [...dumps, ...clears])
  console.log(
    `| ${o.op} | ${o.tool} | ${ms(med(o))} | ${o.times.map((x) => x.ms.toFixed(1)).join(', ')} | ${ratio.get(o)} | ${ms(medCpu(o))} | ${(medCpu(o) / cpuRef(o)).toFixed(2)}x libbpf C |`,
  );
for (const [key, n] of wins)
  console.log(`\n${key}: tsbcc faster in ${n} of ${key.startsWith('clear') ? CLEAR_REPS : REPS} repetitions`);
