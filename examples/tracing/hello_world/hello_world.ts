/**
 * hello_world: BCC's first example. Prints trace_pipe as it comes (BCC's trace_print()): one
 * "Hello, World!" line for every clone(2) on the machine, from the process that called it.
 * BCC's form is a kprobe on the clone syscall; where the kernel has no kprobes the example
 * says so in one line and uses the syscalls:sys_enter_clone tracepoint instead.
 *
 * `tsbcc example hello_world` runs until Ctrl-C. With `--duration S` it also starts a shell
 * that forks (3 children by default), prints what arrived during S seconds, and exits 0 only
 * when exactly that many hellos came from the shell's pid.
 */
import { BPF, fixSyscallFnname, parseTraceLine } from '../../../src/index.js';
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

/** Options of {@link runHelloWorld}. */
export interface HelloWorldOptions extends TracingRunOptions {
  /** Children the --duration workload's shell forks (default 3). */
  forks?: number;
}

/** What the example printed and saw. */
export interface HelloWorldResult extends ExampleReport {
  form: ChosenForm;
  /** The trace_pipe lines printed, as printed. */
  lines: string[];
  /** The forking shell (--duration mode). */
  workload?: Ran & { forks: number };
  /** Hello lines whose pid is the workload shell's. */
  workloadHellos: number;
}

/** Attaches hello to clone(2), prints trace_pipe until Ctrl-C or for the duration. */
export async function runHelloWorld(opts: HelloWorldOptions = {}): Promise<HelloWorldResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'syscalls:sys_enter_clone');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'hello_world.c'), autoAttach: false });
  if (form.kprobe) b.attachKprobe({ event: fixSyscallFnname('sys_clone'), fnName: 'kprobe__sys_clone' });
  else
    b.attachTracepoint({ tp: 'syscalls:sys_enter_clone', fnName: 'tracepoint__syscalls__sys_enter_clone' });
  announce(log, form);

  const lines: string[] = [];
  const trace = await followTrace(
    b,
    (raw) => {
      lines.push(raw);
      log(raw);
    },
    parseTraceLine,
  );
  const { workload, hellos } = await forkHelloWindow(mode, opts.forks ?? 3, trace);
  const checks = new Checks();
  if (workload)
    checks.add(
      `one hello per clone(2) of the workload shell (pid ${workload.pid})`,
      hellos === workload.forks,
      `${hellos} hellos for ${workload.forks} forks`,
    );
  return {
    example: 'hello_world',
    prefix: '',
    checks: checks.list,
    summary: [`${lines.length} trace_pipe lines; ${form.kprobe ? 'kprobe' : 'tracepoint'} form`],
    form,
    lines,
    ...(workload ? { workload } : {}),
    workloadHellos: hellos,
  };
}

/** `tsbcc example hello_world [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'hello_world',
    '"Hello, World!" for every clone(2), from trace_pipe',
  ).addHelpText(
    'after',
    '\nWithout --duration it prints trace_pipe until Ctrl-C. With --duration S a shell forks N children;\n' +
      'the example exits 0 when exactly N hellos came from that shell.',
  );
  return forkExampleMain(cmd, argv, runHelloWorld);
}

runIfMain(import.meta.url, main);
