/**
 * hello_fields: BCC's hello world with its trace_pipe lines taken apart. `hello` prints
 * "Hello, World!" for every clone(2) (BCC: a kprobe on the clone syscall; without kprobes the
 * syscalls:sys_enter_clone tracepoint, announced in one line), and each line is split into
 * its fields as BCC's trace_fields() does and printed as `TIME(s) COMM PID MESSAGE`.
 *
 * `tsbcc example hello_fields` runs until Ctrl-C; `--duration S` also runs a shell that forks N
 * children and exits 0 only when exactly N lines from the shell's pid say "Hello, World!".
 */
import { BPF, getSyscallPrefix, parseTraceLine, type TraceFields } from '../../../src/index.js';
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

/** Options of {@link runHelloFields}. */
export interface HelloFieldsOptions extends TracingRunOptions {
  /** Children the --duration workload's shell forks (default 3). */
  forks?: number;
}

/** What the example printed and saw. */
export interface HelloFieldsResult extends ExampleReport {
  form: ChosenForm;
  /** The fields of every line printed. */
  fields: TraceFields[];
  /** Every line printed, the header first. */
  output: string[];
  workload?: Ran & { forks: number };
}

/** BCC's header: `%-18s %-16s %-6s %s`. */
export const HEADER = `${'TIME(s)'.padEnd(18)} ${'COMM'.padEnd(16)} ${'PID'.padEnd(6)} MESSAGE`;

/** BCC's row: `%-18.9f %-16s %-6d %s` of (ts, task, pid, msg). */
export function formatFields(f: TraceFields): string {
  return `${f.ts.toFixed(9).padEnd(18)} ${f.task.padEnd(16)} ${String(f.pid).padEnd(6)} ${f.msg}`;
}

/** Attaches hello to clone(2) and prints each trace_pipe line's fields. */
export async function runHelloFields(opts: HelloFieldsOptions = {}): Promise<HelloFieldsResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'syscalls:sys_enter_clone');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'hello_fields.c'), autoAttach: false });
  // BCC: b.attach_kprobe(event=b.get_syscall_fnname("clone"), fn_name="hello")
  if (form.kprobe) b.attachKprobe({ event: `${getSyscallPrefix()}clone`, fnName: 'hello' });
  else b.attachTracepoint({ tp: 'syscalls:sys_enter_clone', fnName: 'hello' });
  announce(log, form);

  const fields: TraceFields[] = [];
  const output = [HEADER];
  log(HEADER);
  const trace = await followTrace(
    b,
    (_raw, f) => {
      if (!f) return; // BCC's loop skips what trace_fields cannot split
      fields.push(f);
      output.push(formatFields(f));
      log(formatFields(f));
    },
    parseTraceLine,
  );
  const { workload, hellos } = await forkHelloWindow(mode, opts.forks ?? 3, trace);
  const checks = new Checks();
  if (workload)
    checks.add(
      `"Hello, World!" from pid ${workload.pid} once per fork of the workload shell`,
      hellos === workload.forks,
      `${hellos} of ${workload.forks}`,
    );
  return {
    example: 'hello_fields',
    prefix: '',
    checks: checks.list,
    summary: [`${fields.length} lines`],
    form,
    fields,
    output,
    ...(workload ? { workload } : {}),
  };
}

/** `tsbcc example hello_fields [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  return forkExampleMain(
    exampleCommand('hello_fields', '"Hello, World!" per clone(2), printed as TIME(s) COMM PID MESSAGE'),
    argv,
    runHelloFields,
  );
}

runIfMain(import.meta.url, main);
