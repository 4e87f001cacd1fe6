/**
 * strlen_count: which strings the machine measures with strlen(), and how often. A uprobe on
 * libc's strlen counts each string (its first 80 bytes); at Ctrl-C the counts are printed,
 * smallest first, as BCC's strlen_count.py does. glibc's strlen is an indirect function: BCC's
 * uprobe on the `strlen` symbol lands on its resolver, which runs once per process at
 * relocation, so BCC counts almost nothing there; this example attaches to the implementation
 * the dynamic linker picks on this CPU (common/ifunc.ts), where every call lands.
 *
 * `tsbcc example strlen_count` runs until Ctrl-C. With `--duration S` it also runs a python
 * process that calls strlen on a string of its own N times (7 by default), and exits 0 only
 * when that string's count is exactly N.
 */
import { randomBytes } from 'node:crypto';
import { BPF } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import { resolveIfunc, type ResolvedIfunc } from '../common/ifunc.js';
import { traceWindow, type TracingRunOptions } from '../common/trace-example.js';
import { runChild, type Ran } from '../common/workloads.js';

/** Options of {@link runStrlenCount}. */
export interface StrlenCountOptions extends TracingRunOptions {
  /** strlen calls of the --duration workload (default 7). */
  calls?: number;
}

/** What the example printed and saw. */
export interface StrlenCountResult extends ExampleReport {
  /** Where the uprobe went. */
  target: ResolvedIfunc;
  /** Count per string, as printed. */
  counts: [string, bigint][];
  output: string[];
  /**
   * The workload's string and its count read as soon as the workload exited (the table is an
   * LRU hash: on a busy machine the string can be evicted by newer ones before the end).
   */
  workload?: Ran & { text: string; calls: number; count: bigint };
}

/** Entries of the LRU table (strlen_count.c). */
export const TABLE_SIZE = 32768;

/** BCC's row: `%10d "%s"`. */
export function formatCount(text: string, n: bigint): string {
  return `${String(n).padStart(10)} "${text}"`;
}

/** Counts strlen()'s strings until Ctrl-C or for the duration. */
export async function runStrlenCount(opts: StrlenCountOptions = {}): Promise<StrlenCountResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const target = resolveIfunc('libc.so.6', 'strlen');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'strlen_count.c'), autoAttach: false });
  b.attachUprobe({ name: target.path, address: target.offset, fnName: 'count' });
  log('Tracing strlen()... Hit Ctrl-C to end.');
  let workload: StrlenCountResult['workload'];
  const calls = opts.calls ?? 7;
  await traceWindow(mode, async () => {
    const text = `tsbcc-strlen-${randomBytes(4).toString('hex')}`;
    const py = `import ctypes\nlibc = ctypes.CDLL('libc.so.6')\nfor _ in range(${calls}):\n    libc.strlen(b'${text}')\n`;
    const ran = await runChild(['python3', '-c', py]);
    const count = b.table<{ c: string }, bigint>('counts').get({ c: text }) ?? 0n;
    workload = { ...ran, text, calls, count };
  });
  // the program reads 80 bytes whatever the string's length: the string ends at its NUL
  const cString = (c: string | Buffer): string => {
    const s = typeof c === 'string' ? c : c.toString('latin1');
    const nul = s.indexOf('\0');
    return nul < 0 ? s : s.slice(0, nul);
  };
  const counts: [string, bigint][] = [...b.table<{ c: string | Buffer }, bigint>('counts').entries()]
    .map(([k, v]): [string, bigint] => [cString(k.c), v])
    .sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  const output = [`${'COUNT'.padStart(10)} STRING`, ...counts.map(([t, n]) => formatCount(t, n))];
  for (const l of output) log(l);
  const checks = new Checks();
  if (workload) {
    checks.add(
      `"${workload.text}" counted once per strlen() of the workload`,
      workload.code === 0 && workload.count === BigInt(calls),
      `${workload.count} of ${calls}`,
    );
  }
  return {
    example: 'strlen_count',
    prefix: '',
    checks: checks.list,
    summary: [`${counts.length} strings; uprobe at ${target.path}+0x${target.offset.toString(16)}`],
    target,
    counts,
    output,
    ...(workload ? { workload } : {}),
  };
}

/** `tsbcc example strlen_count [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand('strlen_count', "strlen()'s strings counted, system-wide (uprobe)").option(
    '--calls <n>',
    'strlen calls of the --duration workload',
    numberOption('calls', { min: 1, max: 100000, integer: true }),
    7,
  );
  return runExampleMain<{ calls: number }>(cmd, argv, (o, common) =>
    runStrlenCount({ ...common, calls: o.calls }),
  );
}

runIfMain(import.meta.url, main);
