/**
 * task_switch: counts context switches per (previous pid -> next pid) and prints
 * `task_switch[ PREV->  CUR]=N` for every pair, as BCC's example does. BCC's form attaches
 * `count_sched` to `finish_task_switch` by regular expression (`^finish_task_switch$` or its
 * `.isra.N` clone); where the kernel has no kprobes it uses the sched:sched_switch tracepoint,
 * announced in one line.
 *
 * BCC's script generates the switches itself (100 sleeps of 10 ms) and prints. Here the
 * interactive mode counts until Ctrl-C; `--duration S` runs a process that sleeps N times
 * (100 by default) and exits 0 only when that process was switched out at least N + 1 times
 * (its sleeps and its exit) and in at least N + 1 times (its first run and its wake-ups).
 */
import { BPF, type HashTable } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  addAttachOption,
  announce,
  chooseForm,
  traceWindow,
  type AttachChoice,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';
import { sleepWorkload, type Ran } from '../common/workloads.js';

/** BCC's regular expression for the kprobe. */
export const EVENT_RE = /^finish_task_switch$|^finish_task_switch\.isra\.\d$/;

/** Options of {@link runTaskSwitch}. */
export interface TaskSwitchOptions extends TracingRunOptions {
  /** Sleeps of the --duration workload (default 100, as BCC's script). */
  sleeps?: number;
  /** Length of each sleep in ms (default 10). */
  sleepMs?: number;
}

/** One counted pair. */
export interface SwitchCount {
  prevPid: number;
  currPid: number;
  count: bigint;
}

/** What the example counted. */
export interface TaskSwitchResult extends ExampleReport {
  form: ChosenForm;
  /** The kernel functions the kprobe went on (kprobe form). */
  kprobeFunctions: string[];
  stats: SwitchCount[];
  /** The printed lines. */
  lines: string[];
  workload?: Ran & { sleeps: number; switchesOut: bigint; switchesIn: bigint };
}

/** BCC's line for one pair. */
export function formatSwitch(s: SwitchCount): string {
  return `task_switch[${String(s.prevPid).padStart(5)}->${String(s.currPid).padStart(5)}]=${s.count}`;
}

/** Counts switches until Ctrl-C or for the duration, then prints every pair. */
export async function runTaskSwitch(opts: TaskSwitchOptions = {}): Promise<TaskSwitchResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 3 };
  const form = chooseForm(opts.attach ?? 'auto', 'sched:sched_switch');
  using b = await BPF.create({ file: assetPath(import.meta.url, 'task_switch.c'), autoAttach: false });
  let kprobeFunctions: string[] = [];
  const fn = form.kprobe ? 'count_sched' : 'tracepoint__sched__sched_switch';
  if (form.kprobe) kprobeFunctions = b.attachKprobe({ eventRe: EVENT_RE, fnName: fn }).map((l) => l.target);
  else b.attachTracepoint({ tp: 'sched:sched_switch', fnName: fn });
  announce(log, form);

  const table = b.table('stats') as HashTable<{ prev_pid: number; curr_pid: number }, bigint>;
  const read = (): SwitchCount[] =>
    [...table.entries()].map(([k, v]) => ({ prevPid: k.prev_pid, currPid: k.curr_pid, count: v }));
  const sleeps = opts.sleeps ?? 100;
  let workload: Ran | undefined;
  const io = (pid: number): { out: bigint; in: bigint } => {
    let out = 0n;
    let inn = 0n;
    for (const s of read()) {
      if (s.prevPid === pid) out += s.count;
      if (s.currPid === pid) inn += s.count;
    }
    return { out, in: inn };
  };
  await traceWindow(mode, async () => {
    workload = await sleepWorkload(sleeps, opts.sleepMs ?? 10);
    // its last switch (out of the dead task) comes just after its parent learns of the exit
    const pid = workload.pid;
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      const c = io(pid);
      if (c.out > BigInt(sleeps) && c.in > BigInt(sleeps)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  const stats = read();
  const lines = stats.map(formatSwitch);
  for (const l of lines) log(l);

  const checks = new Checks();
  let wl: TaskSwitchResult['workload'];
  if (workload) {
    const c = io(workload.pid);
    wl = { ...workload, sleeps, switchesOut: c.out, switchesIn: c.in };
    checks.add(
      'the stats table did not fill up (a full table drops new pairs)',
      stats.length < table.maxEntries,
      `${stats.length} of ${table.maxEntries} pairs`,
    );
    checks.add(
      `the sleeper (pid ${workload.pid}) was switched out for each of its ${sleeps} sleeps and at exit`,
      c.out >= BigInt(sleeps + 1),
      `${c.out} switches out`,
    );
    checks.add(
      `and switched in at its first run and after each sleep`,
      c.in >= BigInt(sleeps + 1),
      `${c.in} switches in`,
    );
  }
  return {
    example: 'task_switch',
    prefix: '',
    checks: checks.list,
    summary: [`${stats.length} (prev, next) pairs`],
    form,
    kprobeFunctions,
    stats,
    lines,
    ...(wl ? { workload: wl } : {}),
  };
}

/** `tsbcc example task_switch [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(
    exampleCommand('task_switch', 'context switches counted per (prev pid, next pid)'),
  )
    .option(
      '--sleeps <n>',
      'sleeps of the --duration workload',
      numberOption('sleeps', { min: 1, max: 100000, integer: true }),
      100,
    )
    .option('--sleep-ms <ms>', 'length of each sleep', numberOption('sleep-ms', { min: 1, max: 1000 }), 10);
  return runExampleMain<{ attach: AttachChoice; sleeps: number; sleepMs: number }>(cmd, argv, (o, common) =>
    runTaskSwitch({ ...common, attach: o.attach, sleeps: o.sleeps, sleepMs: o.sleepMs }),
  );
}

runIfMain(import.meta.url, main);
