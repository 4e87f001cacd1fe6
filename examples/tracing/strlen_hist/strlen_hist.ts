/**
 * strlen_hist: the values strlen() returns, as a log2 histogram printed every second under the
 * time (`HH:MM:SS`), as BCC's strlen_hist.py prints it (`strlen return:` as the value column).
 * A uretprobe on libc's strlen, on the implementation glibc's IFUNC picks on this CPU
 * (common/ifunc.ts): BCC's probe on the `strlen` symbol lands on the resolver. uprobes work on
 * every kernel, so there is one form.
 *
 * `tsbcc example strlen_hist` counts every process until Ctrl-C; `--pid PID` (an addition)
 * counts one. `--duration S` starts a python process of its own that, once the probe is
 * attached, calls strlen on strings of known lengths (WORKLOAD) through ctypes; only that
 * process is counted, and the run exits 0 only when the histograms add up to exactly those
 * calls.
 */
import { BPF, formatLog2Hist, type Table } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import { resolveIfunc, type ResolvedIfunc } from '../common/ifunc.js';
import { everyInterval, HistogramDelta, log2Slot, sumSlots } from '../common/histograms.js';
import { type TracingRunOptions } from '../common/trace-example.js';
import { SteppedPython } from '../common/workloads.js';

/** The --duration workload: strlen calls per string length. */
export const WORKLOAD: readonly { length: number; calls: number }[] = [
  { length: 0, calls: 2 },
  { length: 3, calls: 4 },
  { length: 12, calls: 6 },
  { length: 300, calls: 3 },
];

/** The histogram the workload should make: log2 slot -> calls. */
export function expectedSlots(): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (const w of WORKLOAD) m.set(log2Slot(w.length), (m.get(log2Slot(w.length)) ?? 0n) + BigInt(w.calls));
  return m;
}

/** Options of {@link runStrlenHist}. */
export interface StrlenHistOptions extends TracingRunOptions {
  /** Only this process (in --duration mode without it: the example's own python). */
  pid?: number;
  /** Seconds between histograms (BCC: 1). */
  interval?: number;
}

/** What the example printed. */
export interface StrlenHistResult extends ExampleReport {
  /** Where the uretprobe went. */
  target: ResolvedIfunc;
  /** The process counted, when one was. */
  pid?: number;
  /** Every histogram printed: non-zero slots (log2 slot -> count) and the text, time line first. */
  intervals: { slots: Map<number, bigint>; text: string }[];
}

/** `HH:MM:SS` of local time, as BCC's `time.strftime("%H:%M:%S")`. */
function clock(d = new Date()): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A python process paused on stdin that calls strlen on the WORKLOAD's strings on "go". */
class StrlenHistWorkload extends SteppedPython {
  constructor() {
    super(
      [
        // the strings and the bound function are made, and strlen called once on each, before
        // the probe is attached: the first call through ctypes looks attributes up (with
        // strlen calls of its own); the calls the probe sees are only the loop's
        `strs = [(b'x' * n, c) for n, c in ${JSON.stringify(WORKLOAD.map((w) => [w.length, w.calls]))}]`,
        'f = libc.strlen',
        'for s, _ in strs:',
        '    f(s)',
      ],
      ['for s, c in strs:', '    for _ in range(c):', '        f(s)'],
    );
  }
}

/** Prints the histogram of strlen()'s return values every interval until Ctrl-C or for the duration. */
export async function runStrlenHist(opts: StrlenHistOptions = {}): Promise<StrlenHistResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const workload = opts.pid === undefined && mode.kind === 'duration' ? new StrlenHistWorkload() : undefined;
  try {
    if (workload) await workload.until('ready');
    const pid = opts.pid ?? workload?.pid;
    const target = resolveIfunc('libc.so.6', 'strlen');
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'strlen_hist.c'),
      cflags: pid !== undefined ? [`-DFILTER_PID=${pid}`] : [],
      autoAttach: false,
    });
    // BCC: b.attach_uretprobe(name="c", sym="strlen", fn_name="count")
    b.attachUretprobe({ name: target.path, address: target.offset, fnName: 'count' });
    let working: Promise<void> | undefined;
    if (workload) {
      log(
        `workload: python (pid ${workload.pid}) calls strlen ${WORKLOAD.map((w) => `${w.calls} x on ${w.length} bytes`).join(', ')}`,
      );
      workload.go();
      working = workload.until('done');
    }
    const dist = new HistogramDelta(b.table<number, bigint>('dist') as Table<number, bigint>);
    const intervals: StrlenHistResult['intervals'] = [];
    await everyInterval({
      mode,
      interval: opts.interval ?? 1,
      ...(working ? { beforeLast: working } : {}),
      tick: () => {
        const slots = dist.take();
        const text = `${clock().padEnd(8)}\n${formatLog2Hist(slots, { valType: 'strlen return:' })}`;
        log(text.replace(/\n$/, ''));
        intervals.push({ slots, text });
      },
    });
    const checks = new Checks();
    if (workload) {
      const all = sumSlots(intervals.map((i) => i.slots));
      const want = expectedSlots();
      const show = (m: Map<number, bigint>): string =>
        [...m]
          .sort(([a], [b]) => a - b)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ') || 'empty';
      checks.add(
        `python (pid ${workload.pid}): exactly its strlen calls, by log2 slot`,
        show(all) === show(want),
        `slots ${show(all)}, expected ${show(want)}`,
      );
    }
    return {
      example: 'strlen_hist',
      prefix: '',
      checks: checks.list,
      summary: [
        `${intervals.length} histograms${pid !== undefined ? ` of pid ${pid}` : ''}; uretprobe at ${target.path}+0x${target.offset.toString(16)}`,
      ],
      target,
      ...(pid !== undefined ? { pid } : {}),
      intervals,
    };
  } finally {
    workload?.end();
  }
}

/** `tsbcc example strlen_hist [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'strlen_hist',
    "histogram of strlen()'s return values every second (uretprobe)",
  ).option('--pid <pid>', 'only this process', numberOption('pid', { min: 1, integer: true }));
  return runExampleMain<{ pid?: number }>(cmd, argv, (o, common) =>
    runStrlenHist({ ...common, ...(o.pid !== undefined ? { pid: o.pid } : {}) }),
  );
}

runIfMain(import.meta.url, main);
