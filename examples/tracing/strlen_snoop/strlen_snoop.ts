/**
 * strlen_snoop: the strings one process passes to strlen(), one line each. A uprobe on libc's
 * strlen prints each string (up to 80 bytes) with bpf_trace_printk when the caller's thread id
 * is PID; the lines are read back as BCC's trace_fields() loop reads them and printed as
 * `TIME(s) COMM PID STRLEN`, as BCC's `strlen_snoop.py PID` prints them. The uprobe goes on
 * the implementation glibc's IFUNC picks on this CPU (common/ifunc.ts): BCC's lands on the
 * resolver, which runs once per process. uprobes work on every kernel, so there is one form.
 *
 * `tsbcc example strlen_snoop PID` traces PID until Ctrl-C. `--duration S` without a PID starts
 * a python process of its own that calls strlen on a string of its own N times (5 by default)
 * through ctypes, and exits 0 only when exactly N lines show that string, from that pid.
 */
import { randomBytes } from 'node:crypto';
import { BPF, parseTraceLine, TsbccError } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import { resolveIfunc, type ResolvedIfunc } from '../common/ifunc.js';
import { followTrace, settle, traceWindow, type TracingRunOptions } from '../common/trace-example.js';
import { SteppedPython } from '../common/workloads.js';

/** Options of {@link runStrlenSnoop}. */
export interface StrlenSnoopOptions extends TracingRunOptions {
  /** The process to trace; in --duration mode without it, the example's own python. */
  pid?: number;
  /** strlen calls of the --duration workload (default 5). */
  calls?: number;
}

/** One printed line's fields. */
export interface StrlenLine {
  ts: number;
  task: string;
  pid: number;
  text: string;
}

/** What the example printed and saw. */
export interface StrlenSnoopResult extends ExampleReport {
  pid: number;
  /** Where the uprobe went. */
  target: ResolvedIfunc;
  lines: StrlenLine[];
  /** Every line printed, the header first. */
  output: string[];
  workload?: { pid: number; text: string; calls: number };
}

/** BCC's header: `%-18s %-16s %-6s %s`. */
export const HEADER = `${'TIME(s)'.padEnd(18)} ${'COMM'.padEnd(16)} ${'PID'.padEnd(6)} STRLEN`;

/** BCC's row: `%-18.9f %-16s %-6d %s`. */
export function formatLine(l: StrlenLine): string {
  return `${l.ts.toFixed(9).padEnd(18)} ${l.task.padEnd(16)} ${String(l.pid).padEnd(6)} ${l.text}`;
}

/** A python process paused on stdin that calls strlen(text) `calls` times on "go". */
class StrlenWorkload extends SteppedPython {
  readonly text: string;

  constructor(
    readonly calls: number,
    text = `tsbcc-snoop-${randomBytes(4).toString('hex')}`,
  ) {
    super([], [`for _ in range(${calls}):`, `    libc.strlen(b'${text}')`]);
    this.text = text;
  }
}

/** Prints the strings PID passes to strlen until Ctrl-C or for the duration. */
export async function runStrlenSnoop(opts: StrlenSnoopOptions = {}): Promise<StrlenSnoopResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const calls = opts.calls ?? 5;
  const workload = opts.pid === undefined && mode.kind === 'duration' ? new StrlenWorkload(calls) : undefined;
  try {
    if (workload) await workload.until('ready');
    const pid = opts.pid ?? workload?.pid;
    if (pid === undefined)
      throw new TsbccError('strlen_snoop needs a PID (or --duration, for its own workload)', 'EINVAL');
    const target = resolveIfunc('libc.so.6', 'strlen');
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'strlen_snoop.c'),
      cflags: [`-DPID=${pid}`],
      autoAttach: false,
    });
    b.attachUprobe({ name: target.path, address: target.offset, fnName: 'printarg' });
    const lines: StrlenLine[] = [];
    const output = [HEADER];
    log(HEADER);
    const trace = await followTrace(
      b,
      (_raw, f) => {
        // BCC skips what does not parse, its own process's lines and empty messages
        if (!f || f.pid === process.pid || f.msg === '') return;
        const l: StrlenLine = { ts: f.ts, task: f.task, pid: f.pid, text: f.msg };
        lines.push(l);
        output.push(formatLine(l));
        log(formatLine(l));
      },
      parseTraceLine,
    );
    const mine = (): number =>
      lines.filter((l) => l.pid === workload?.pid && l.text === workload.text).length;
    try {
      await traceWindow(mode, async () => {
        if (!workload) return;
        workload.go();
        await workload.until('done');
        if (await trace.until(() => mine() >= calls)) await settle();
      });
    } finally {
      trace.stop();
    }
    const checks = new Checks();
    if (workload)
      checks.add(
        `"${workload.text}" once per strlen() of the workload, from its pid`,
        mine() === calls,
        `${mine()} of ${calls}`,
      );
    return {
      example: 'strlen_snoop',
      prefix: '',
      checks: checks.list,
      summary: [
        `${lines.length} strings of pid ${pid}; uprobe at ${target.path}+0x${target.offset.toString(16)}`,
      ],
      pid,
      target,
      lines,
      output,
      ...(workload ? { workload: { pid: workload.pid, text: workload.text, calls } } : {}),
    };
  } finally {
    workload?.end();
  }
}

/** `tsbcc example strlen_snoop [PID]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand('strlen_snoop', 'the strings one process passes to strlen() (uprobe)')
    .argument(
      '[pid]',
      'the process (thread id) to trace (without it, --duration runs a workload of its own)',
      numberOption('pid', { min: 1, integer: true }),
    )
    .option(
      '--calls <n>',
      'strlen calls of the --duration workload',
      numberOption('calls', { min: 1, max: 100000, integer: true }),
      5,
    );
  return runExampleMain<{ calls: number }>(cmd, argv, (o, common) => {
    const [pid] = cmd.processedArgs as [number | undefined];
    return runStrlenSnoop({ ...common, calls: o.calls, ...(pid !== undefined ? { pid } : {}) });
  });
}

runIfMain(import.meta.url, main);
