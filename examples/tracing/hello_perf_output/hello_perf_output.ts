/**
 * hello_perf_output: BCC's hello world through BPF_PERF_OUTPUT. Every clone(2) on the machine
 * sends a record (pid, timestamp, comm) to a perf buffer, printed as `TIME(s) COMM PID MESSAGE`
 * with the time relative to the first record. BCC's form is a kprobe on the clone syscall;
 * where the kernel has no kprobes the example says so in one line and uses
 * syscalls:sys_enter_clone.
 *
 * `tsbcc example hello_perf_output` runs until Ctrl-C. With `--duration S` it also starts a shell
 * that forks N children (3 by default) and exits 0 only when exactly N records came from it.
 */
import { BPF, getSyscallPrefix } from '../../../src/index.js';
import { exampleCommand, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  announce,
  chooseForm,
  forkExampleMain,
  settle,
  traceWindow,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';
import { forkWorkload, type Ran } from '../common/workloads.js';

/** BCC's header line. */
export const HEADER = `${'TIME(s)'.padEnd(18)} ${'COMM'.padEnd(16)} ${'PID'.padEnd(6)} MESSAGE`;
/** BCC's message. */
export const MESSAGE = 'Hello, perf_output!';

/** One record of the program (struct data_t). */
export interface HelloEvent {
  pid: number;
  ts: bigint;
  comm: string;
}

/** Options of {@link runHelloPerfOutput}. */
export interface HelloPerfOutputOptions extends TracingRunOptions {
  /** Children the --duration workload's shell forks (default 3). */
  forks?: number;
}

/** What the example printed and saw. */
export interface HelloPerfOutputResult extends ExampleReport {
  form: ChosenForm;
  /** The lines printed, the header first. */
  output: string[];
  /** Every record received. */
  events: HelloEvent[];
  workload?: Ran & { forks: number };
}

/** One output line as BCC prints it (`%-18.9f %-16s %-6d %s`). */
export function formatHello(e: HelloEvent, start: bigint): string {
  const t = (Number(e.ts - start) / 1e9).toFixed(9);
  return `${t.padEnd(18)} ${e.comm.padEnd(16)} ${String(e.pid).padEnd(6)} ${MESSAGE}`;
}

/** Attaches hello to clone(2) and prints its perf records until Ctrl-C or for the duration. */
export async function runHelloPerfOutput(opts: HelloPerfOutputOptions = {}): Promise<HelloPerfOutputResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'syscalls:sys_enter_clone');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'hello_perf_output.c'), autoAttach: false });
  const events: HelloEvent[] = [];
  const output = [HEADER];
  let start: bigint | undefined;
  // the rings are open before anything attaches: no record is sent to a CPU without one
  b.openPerfBuffer<HelloEvent>('events', (e) => {
    start ??= e.ts;
    events.push(e);
    const line = formatHello(e, start);
    output.push(line);
    log(line);
  });
  // BCC: b.attach_kprobe(event=b.get_syscall_fnname("clone"), fn_name="hello")
  if (form.kprobe) b.attachKprobe({ event: `${getSyscallPrefix()}clone`, fnName: 'hello' });
  else b.attachTracepoint({ tp: 'syscalls:sys_enter_clone', fnName: 'hello' });
  announce(log, form);
  log(HEADER);

  let workload: HelloPerfOutputResult['workload'];
  const forks = opts.forks ?? 3;
  const fromWorkload = (): HelloEvent[] => events.filter((e) => e.pid === workload?.pid);
  await traceWindow(mode, async () => {
    workload = { ...(await forkWorkload(forks)), forks };
    const until = Date.now() + 30_000;
    while (fromWorkload().length < forks && Date.now() < until) await settle(50);
    await settle();
  });
  const checks = new Checks();
  if (workload) {
    const mine = fromWorkload();
    checks.add(
      `one record per clone(2) of the workload shell (pid ${workload.pid}), comm sh`,
      mine.length === forks && mine.every((e) => e.comm === 'sh'),
      `${mine.length} records for ${forks} forks, comms ${[...new Set(mine.map((e) => e.comm))].join(',') || 'none'}`,
    );
  }
  return {
    example: 'hello_perf_output',
    prefix: '',
    checks: checks.list,
    summary: [`${events.length} records; ${form.kprobe ? 'kprobe' : 'tracepoint'} form`],
    form,
    output,
    events,
    ...(workload ? { workload } : {}),
  };
}

/** `tsbcc example hello_perf_output [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  return forkExampleMain(
    exampleCommand('hello_perf_output', '"Hello, perf_output!" for every clone(2), through a perf buffer'),
    argv,
    runHelloPerfOutput,
  );
}

runIfMain(import.meta.url, main);
