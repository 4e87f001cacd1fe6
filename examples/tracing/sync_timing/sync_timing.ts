/**
 * sync_timing: syncs that come less than a second after the previous one. `do_trace` keeps
 * the time of the last sync(2) in a hash and prints the gap in milliseconds through
 * bpf_trace_printk when it is under a second; each trace_pipe line is printed as BCC's
 * sync_timing.py prints it: `At time T s: multiple syncs detected, last N ms ago`, T counted
 * from the first line. BCC's form is a kprobe on the sync syscall; where the kernel has no
 * kprobes the example announces syscalls:sys_enter_sync and uses it.
 *
 * `tsbcc example sync_timing` traces every process until Ctrl-C; `--pid PID` (an addition)
 * one process. `--duration S` starts a python process of its own that syncs 5 times with gaps
 * of 50, 200, 1200 and 100 ms, taking the clock before each sync; only that process is traced,
 * and the run exits 0 only when exactly its gaps under a second were printed, each within a
 * millisecond of what its own clock measured.
 */
import { BPF, getSyscallPrefix, parseTraceLine, type TraceFields } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  addAttachOption,
  announce,
  chooseForm,
  followTrace,
  settle,
  traceWindow,
  type AttachChoice,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';
import { SteppedPython } from '../common/workloads.js';

/** The --duration workload: milliseconds slept before each sync after the first. */
export const GAPS_MS: readonly number[] = [50, 200, 1200, 100];

/** Options of {@link runSyncTiming}. */
export interface SyncTimingOptions extends TracingRunOptions {
  /** Only this process (in --duration mode without it: the example's own python). */
  pid?: number;
}

/** One report: seconds since the first, and the gap the program measured. */
export interface SyncReport {
  /** Seconds since the first report's trace_pipe timestamp. */
  at: number;
  /** Milliseconds since the previous sync (under 1000). */
  ms: number;
  /** The trace_pipe line's fields. */
  fields: TraceFields;
}

/** What the example printed and saw. */
export interface SyncTimingResult extends ExampleReport {
  form: ChosenForm;
  reports: SyncReport[];
  /** Every line printed after the banner. */
  output: string[];
  /** The workload: its pid and the gaps between its syncs by its own clock (ns). */
  workload?: { pid: number; gapsNs: bigint[] };
}

/** BCC's line: `At time %.2f s: multiple syncs detected, last %s ms ago`. */
export function formatReport(r: { at: number; ms: number }): string {
  return `At time ${r.at.toFixed(2)} s: multiple syncs detected, last ${r.ms} ms ago`;
}

/** Python that syncs after each gap and then writes `ts <monotonic ns before each sync>`. */
class SyncWorkload extends SteppedPython {
  constructor() {
    super(
      ['import time'],
      [
        'ts = []',
        `for gap in [0, ${GAPS_MS.join(', ')}]:`,
        '    time.sleep(gap / 1000)',
        '    ts.append(time.monotonic_ns())',
        '    os.sync()',
        "os.write(1, ('ts ' + ' '.join(map(str, ts)) + '\\n').encode())",
      ],
    );
  }

  /** The gaps between the syncs (ns, CLOCK_MONOTONIC as bpf_ktime_get_ns), once written. */
  gaps(): bigint[] {
    const m = /^ts ([\d ]+)$/m.exec(this.output);
    const ts = (m?.[1] ?? '').split(' ').map(BigInt);
    return ts.slice(1).map((t, i) => t - (ts[i] ?? 0n));
  }
}

/** Reports quick syncs until Ctrl-C or for the duration. */
export async function runSyncTiming(opts: SyncTimingOptions = {}): Promise<SyncTimingResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'syscalls:sys_enter_sync');
  const workload = opts.pid === undefined && mode.kind === 'duration' ? new SyncWorkload() : undefined;
  try {
    if (workload) await workload.until('ready');
    const pid = opts.pid ?? workload?.pid;
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'sync_timing.c'),
      cflags: pid !== undefined ? [`-DFILTER_PID=${pid}`] : [],
      autoAttach: false,
    });
    // BCC: b.attach_kprobe(event=b.get_syscall_fnname("sync"), fn_name="do_trace")
    if (form.kprobe) b.attachKprobe({ event: `${getSyscallPrefix()}sync`, fnName: 'do_trace' });
    else b.attachTracepoint({ tp: 'syscalls:sys_enter_sync', fnName: 'do_trace' });
    announce(log, form);
    if (workload) log(`workload: python (pid ${workload.pid}) syncs 5 times, ${GAPS_MS.join(', ')} ms apart`);
    log("Tracing for quick sync's... Ctrl-C to end");
    const reports: SyncReport[] = [];
    const output: string[] = [];
    let start: number | undefined;
    const trace = await followTrace(
      b,
      (_raw, f) => {
        if (!f || !/^\d+$/.test(f.msg)) return;
        start ??= f.ts;
        const r: SyncReport = { at: f.ts - start, ms: Number(f.msg), fields: f };
        reports.push(r);
        output.push(formatReport(r));
        log(formatReport(r));
      },
      parseTraceLine,
    );
    let gapsNs: bigint[] = [];
    try {
      await traceWindow(mode, async () => {
        if (!workload) return;
        workload.go();
        await workload.until('done');
        gapsNs = workload.gaps();
        const quick = gapsNs.filter((g) => g < 1_000_000_000n).length;
        if (await trace.until(() => reports.length >= quick)) await settle();
      });
    } finally {
      trace.stop();
    }
    const checks = new Checks();
    if (workload) {
      const want = gapsNs.filter((g) => g < 1_000_000_000n).map((g) => Number(g / 1_000_000n));
      const got = reports.map((r) => r.ms);
      checks.add(
        `python (pid ${workload.pid}): one line per gap under a second, within 1 ms of its own clock`,
        got.length === want.length && got.every((ms, i) => Math.abs(ms - (want[i] ?? -9)) <= 1),
        `printed ${got.join(', ') || 'nothing'} ms; its clock: ${gapsNs.map((g) => Number(g / 1_000_000n)).join(', ')} ms`,
      );
    }
    return {
      example: 'sync_timing',
      prefix: '',
      checks: checks.list,
      summary: [`${reports.length} quick syncs${pid !== undefined ? ` of pid ${pid}` : ''}`],
      form,
      reports,
      output,
      ...(workload ? { workload: { pid: workload.pid, gapsNs } } : {}),
    };
  } finally {
    workload?.end();
  }
}

/** `tsbcc example sync_timing [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(
    exampleCommand('sync_timing', 'syncs less than a second after the previous one, with the gap'),
  ).option('--pid <pid>', 'only this process', numberOption('pid', { min: 1, integer: true }));
  return runExampleMain<{ attach: AttachChoice; pid?: number }>(cmd, argv, (o, common) =>
    runSyncTiming({ ...common, attach: o.attach, ...(o.pid !== undefined ? { pid: o.pid } : {}) }),
  );
}

runIfMain(import.meta.url, main);
