/**
 * trace_fields: tracing an event and printing chosen fields of each trace_pipe line. BCC's
 * version attaches `hello` to the clone syscall with a kprobe and prints `PID MESSAGE` lines
 * with `trace_print(fmt="{1} {5}")` — a Python format string over (task, pid, cpu, flags, ts,
 * msg), which tsbcc's tracePrint takes as it is. Where the kernel has no kprobes, `hello` goes
 * on syscalls:sys_enter_clone, announced in one line.
 *
 * `tsbcc example trace_fields` runs until Ctrl-C; `--duration S` also runs a shell that forks N
 * children and exits 0 only when exactly N `<shell pid> Hello, World!` lines came.
 */
import { BPF, formatTraceFields, getSyscallPrefix, parseTraceLine } from '../../../src/index.js';
import { exampleCommand, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  announce,
  chooseForm,
  followTrace,
  forkHelloWindow,
  forkExampleMain,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';
import type { Ran } from '../common/workloads.js';

/** BCC's format: the pid and the message. */
export const FORMAT = '{1} {5}';

/** Options of {@link runTraceFields}. */
export interface TraceFieldsOptions extends TracingRunOptions {
  /** Children the --duration workload's shell forks (default 3). */
  forks?: number;
}

/** What the example printed. */
export interface TraceFieldsResult extends ExampleReport {
  form: ChosenForm;
  /** Every line printed, the `PID MESSAGE` header first. */
  output: string[];
  workload?: Ran & { forks: number };
}

/** Attaches hello to clone(2) and prints `{1} {5}` of every trace_pipe line. */
export async function runTraceFields(opts: TraceFieldsOptions = {}): Promise<TraceFieldsResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'syscalls:sys_enter_clone');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'trace_fields.c'), autoAttach: false });
  // BCC: b.attach_kprobe(event=b.get_syscall_fnname("clone"), fn_name="hello")
  if (form.kprobe) b.attachKprobe({ event: `${getSyscallPrefix()}clone`, fnName: 'hello' });
  else b.attachTracepoint({ tp: 'syscalls:sys_enter_clone', fnName: 'hello' });
  announce(log, form);

  const output = ['PID MESSAGE'];
  log('PID MESSAGE');
  const trace = await followTrace(
    b,
    (_raw, f) => {
      if (!f) return; // BCC's trace_fields skips what is not an event line
      const line = formatTraceFields(FORMAT, f);
      output.push(line);
      log(line);
    },
    parseTraceLine,
  );
  const { workload, hellos } = await forkHelloWindow(mode, opts.forks ?? 3, trace);
  const checks = new Checks();
  if (workload) {
    // the printed "{1} {5}" line of each of the shell's hellos
    const line = `${workload.pid} Hello, World!`;
    const printed = output.filter((l) => l === line).length;
    checks.add(
      `"${line}" once per fork of the workload shell`,
      printed === workload.forks && hellos === workload.forks,
      `${printed} of ${workload.forks}`,
    );
  }
  return {
    example: 'trace_fields',
    prefix: '',
    checks: checks.list,
    summary: [`${output.length - 1} lines formatted with "${FORMAT}"`],
    form,
    output,
    ...(workload ? { workload } : {}),
  };
}

/** `tsbcc example trace_fields [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  return forkExampleMain(
    exampleCommand('trace_fields', 'PID and message of every trace_pipe line, as trace_print("{1} {5}")'),
    argv,
    runTraceFields,
  );
}

runIfMain(import.meta.url, main);
