// Reads callgrind output files and prints the symbols executed inside one object (the
// unstripped addon), grouped by the phases of a compile they run in. run.sh has callgrind dump
// its counts before each releaseAt<P> (native/compiler/memory_release.h), where a compile drops
// the code pages of the phase that just ended; a dump's trigger names the point P that ended
// it, so each dump holds one phase's functions. (Callgrind misses the points reached by a
// tail call or from a pass: in the 2026-12-05 run it cut at P1, P2, P4 and P7 only, so the
// passes' phases share one group set; the order still cut the codegen's peak by 6 MB.) Functions are grouped by the set of phases they
// run in (a group per set, in the order the sets are first seen), so a phase faults in (64 KB
// around each page) its own groups and few others. Usage: node extract.mjs OBJECT_SUFFIX FILE...
import { readFileSync } from 'node:fs';

const [suffix = 'tsbcc.node', ...files] = process.argv.slice(2);
// callgrind names dump parts FILE.N (N from 1) and the last one FILE; in order per process
const part = (f) => {
  const m = /\.(\d+)\.(\d+)$/.exec(f);
  return m ? [Number(m[1]), Number(m[2])] : [Number(/\.(\d+)$/.exec(f)?.[1] ?? 0), Infinity];
};
files.sort((a, b) => {
  const [pa, na] = part(a);
  const [pb, nb] = part(b);
  return pa - pb || na - nb;
});

/** Function -> bit set of the phases (by the point that ends them) it ran in. */
const phases = new Map();
const firstSeen = [];
const phaseBits = new Map();
for (const file of files) {
  const text = readFileSync(file, 'latin1');
  // the trigger of a dump before releaseAt<P>: its mangled name holds P (ILi<P>E)
  const trigger = /^desc: Trigger: .*?releaseAtILi(\d+)E/m.exec(text);
  const phase = trigger ? `P${trigger[1]}` : 'exit';
  if (!phaseBits.has(phase)) phaseBits.set(phase, 1n << BigInt(phaseBits.size));
  const bit = phaseBits.get(phase);
  const objects = new Map();
  const functions = new Map();
  let inObject = false;
  for (const line of text.split('\n')) {
    // callgrind compresses names: "fn=(12) name" defines id 12, "fn=(12)" reuses it
    const m = /^(ob|cob|fn|cfn)=\((\d+)\)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const [, kind, id, name] = m;
    const table = kind === 'ob' || kind === 'cob' ? objects : functions;
    if (name !== undefined) table.set(id, name);
    if (kind === 'ob') inObject = (objects.get(id) ?? '').endsWith(suffix);
    if (kind === 'fn' && inObject) {
      const fn = functions.get(id);
      if (!fn) continue;
      if (!phases.has(fn)) firstSeen.push(fn);
      phases.set(fn, (phases.get(fn) ?? 0n) | bit);
    }
  }
}
const groups = new Map();
for (const fn of firstSeen) {
  const set = phases.get(fn);
  if (!groups.has(set)) groups.set(set, []);
  groups.get(set).push(fn);
}
process.stderr.write(
  `text-order: ${firstSeen.length} functions in ${groups.size} phase sets over ${phaseBits.size} phases (${[...phaseBits.keys()].join(' ')})\n`,
);
process.stdout.write([...groups.values()].flat().join('\n') + '\n');
