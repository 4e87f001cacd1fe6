/**
 * bench/maps: dumping and clearing a 100,000-entry u32 -> u64 hash, tsbcc against BCC's Python
 * bindings (items(), items_lookup_batch(), clear(), items_delete_batch()) and a libbpf C reference
 * (batch lookup and batch delete, the physical limit). Every tool gets one untimed warm-up dump,
 * then --reps timed dumps, and --clear-reps timed clears (refilled before each, untimed); medians.
 * Run: `npx vite-node bench/maps/hash-dump.ts [--n 100000 --reps 5 --clear-reps 3]` or
 * `node dist/bench/maps/hash-dump.js [...]`.
 */
import { join } from 'node:path';
import { BPF, compile } from '../../src/index.js';
import { bccHeaders, benchSourceDir, gccBuild, median, ms, runJson } from '../peer-env.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('n', 100_000);
const REPS = opt('reps', 5);
const CLEAR_REPS = opt('clear-reps', 3);
const here = benchSourceDir(import.meta.url);

const SRC = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, ${N}); } h SEC(".maps");
char LICENSE[] SEC("license") = "GPL";
`;

function time<T>(fn: () => T): [number, T] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
}

const b = BPF.fromSpec(await compile(SRC, { name: 'bench_hash' }));
const t = b.table<number, bigint>('h');
const entries: [number, bigint][] = Array.from({ length: N }, (_, i) => [i, BigInt(i)]);
const fill = (): void => void t.updateBatch(entries);
fill();
const dump: number[] = [];
const iter: number[] = [];
for (let r = 0; r < REPS + 1; r++) {
  const [d, all] = time(() => t.lookupBatch());
  if (all.length !== N || all[N - 1]?.[1] === undefined) throw new Error('short dump');
  if (r > 0) dump.push(d);
}
for (let r = 0; r < REPS + 1; r++) {
  const [d, n] = time(() => {
    let n = 0;
    for (const [k, v] of t) if (k >= 0 && v >= 0n) n++;
    return n;
  });
  if (n !== N) throw new Error('short iteration');
  if (r > 0) iter.push(d);
}
const clears: number[] = [];
for (let r = 0; r < CLEAR_REPS; r++) {
  fill();
  const [d] = time(() => t.clear());
  if (t.size !== 0) throw new Error('clear left entries');
  clears.push(d);
}
b.close();

const c = runJson<{ batch: number; clear: number }>(
  gccBuild(join(here, 'libbpf_hash.c'), '/tmp/tsbcc-bench-libbpf-hash'),
  [String(N), String(REPS), String(CLEAR_REPS)],
);
const undo = bccHeaders();
let bcc: { items: number; batch: number; clear: number; delete_batch: number };
try {
  bcc = runJson('/usr/bin/python3', [join(here, 'bcc_hash.py'), String(N), String(REPS), String(CLEAR_REPS)]);
} finally {
  undo();
}

/** "tsbcc Nx faster" or "tsbcc Nx slower": a peer's time against tsbcc's. */
const versus = (peer: number, ours: number): string =>
  peer >= ours ? `tsbcc ${(peer / ours).toFixed(1)}x faster` : `tsbcc ${(ours / peer).toFixed(2)}x slower`;
const tsDump = median(dump);
const tsIter = median(iter);
const tsClear = median(clears);
const rows = [
  ['dump, decoded into JS (lookupBatch)', 'tsbcc', tsDump, `${(tsDump / c.batch).toFixed(2)}x libbpf C`],
  ['dump, decoded into JS (for..of table)', 'tsbcc', tsIter, `${(tsIter / c.batch).toFixed(2)}x libbpf C`],
  ['dump', 'BCC items()', bcc.items, versus(bcc.items, tsDump)],
  ['dump', 'BCC items_lookup_batch()', bcc.batch, versus(bcc.batch, tsDump)],
  ['dump (raw, no decoding)', 'libbpf C batch lookup', c.batch, '1.0x'],
  ['clear()', 'tsbcc', tsClear, `${(tsClear / c.clear).toFixed(2)}x libbpf C`],
  ['clear()', 'BCC clear()', bcc.clear, versus(bcc.clear, tsClear)],
  ['clear', 'BCC items_delete_batch()', bcc.delete_batch, versus(bcc.delete_batch, tsClear)],
  ['clear', 'libbpf C delete batch', c.clear, '1.0x'],
] as const;
console.log(
  `\n${N} entries u32 -> u64; every tool: 1 warm-up, median of ${REPS} dumps and of ${CLEAR_REPS} clears\n`,
);
console.log('| operation | tool | time | ratio |\n| --- | --- | --- | --- |');
for (const [op, tool, v, ratio] of rows) console.log(`| ${op} | ${tool} | ${ms(v)} | ${ratio} |`);
