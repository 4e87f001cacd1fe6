/**
 * One measurement in a fresh process: compile a BCC-C file with tsbcc and load its function
 * into the verifier, tsbcc imported through its package entry (`from 'tsbcc'`) as a user does. Prints JSON {ms, cpu, fromCache, hwm, rss} (cpu: ms of this process and
 * its forked children; hwm: this process's peak RSS in MB,
 * VmHWM; run.py adds its forked children's; rss: its RSS in MB with the program loaded, the
 * steady state a tool runs in). Used by bench/compile/run.py.
 * Args: FILE FUNCTION TYPE MODE(new|newid|cached|first) RUN_ID [KERNEL_HEADER(auto|subset|full)]
 * Modes: new: the text with a comment appended (a new object; the kernel header of its
 * identifiers is cached); newid: a `#define` of a name never seen appended (also a new kernel
 * header); cached: the text as it is (the object is cached); first: like new, with an empty cache
 * directory (run.py's choice).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
// the package entry, as a user's program loads it (package.json "exports": the bundled
// dist/src/index.bundle.mjs), not tsbcc's modules by path
import { BpfObject, compile, type ProgramTypeName } from 'tsbcc';

const [file = '', fn = '', type = 'SCHED_CLS', mode = 'new', run = '0', header = 'auto'] =
  process.argv.slice(2);
// a fresh text per run for "new" (a comment changes the cache key, not the program); for
// "newid" also a name no run had (the kernel header's cache key too)
const fresh =
  mode === 'newid' ? `\n#define TSBCC_BENCH_RUN_${process.pid}_${run} ${run}\n` : `\n// run ${run}\n`;
const text = readFileSync(file, 'utf8') + (mode === 'cached' ? '' : fresh);
// load the addon (and LLVM) before timing, as `import bcc` does for BCC: the file tsbcc loads
// on its first compile (build/Release/ of the package; Node's require cache then hands tsbcc
// the same module)
createRequire(import.meta.url)(
  fileURLToPath(new URL('../../build/Release/tsbcc.node', import.meta.resolve('tsbcc'))),
);
/** CPU ms of this process's ended (waited-for) children: /proc/self/stat cutime + cstime. */
const childrenCpu = (): number => {
  const fields = readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // USER_HZ is 100 on Linux
};
const k0 = childrenCpu();
const c0 = process.cpuUsage();
const t0 = performance.now();
const spec = await compile(
  { text, name: 'bench' },
  { noCache: mode !== 'cached', kernelHeader: header as 'auto' | 'subset' | 'full' },
);
const obj = BpfObject.create(spec);
obj.loadFunc(fn, type as ProgramTypeName);
const ms = performance.now() - t0;
const used = process.cpuUsage(c0);
// a forked child's CPU counts too (none since session 7's in-process CO-RE codegen; 10 ms resolution)
const cpu = (used.user + used.system) / 1000 + childrenCpu() - k0;
const status = (key: string): number =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
const rss = status('VmRSS');
obj.close();
console.log(JSON.stringify({ ms, cpu, fromCache: spec.fromCache === true, hwm: status('VmHWM'), rss }));
