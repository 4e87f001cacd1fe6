/**
 * What BCC's tracing examples share here: the choice between BCC's kprobe form and the
 * tracepoint form (announced in one line where the kernel has no kprobes), the tracing window
 * (until Ctrl-C, or `--duration S` with the example's own workload), and trace_pipe lines
 * collected as they come.
 */
import { NotSupportedError, supportKprobes, type BPF, type TraceFields } from '../../../src/index.js';
import { Option, type Command } from 'commander';
import {
  choiceOption,
  numberOption,
  runExampleMain,
  type CommonRunOptions,
  type LogFn,
  type RunMode,
} from '../../common/cli.js';
import type { ExampleReport } from '../../common/report.js';
import { forkWorkload, type Ran } from './workloads.js';

/** Which form of the example runs: BCC's kprobes, or the tracepoint equivalent. */
export type AttachChoice = 'auto' | 'kprobe' | 'tracepoint';

/** Options of every tracing example's run function. */
export interface TracingRunOptions extends CommonRunOptions {
  /** `auto` (default): kprobes where the kernel has them, else the tracepoint form. */
  attach?: AttachChoice;
}

/** The form chosen, and the line that announces a fallback. */
export interface ChosenForm {
  kprobe: boolean;
  /** e.g. `no kprobes: using sched:sched_switch` (auto fallback), or why the form was taken. */
  note: string;
}

/**
 * Chooses the form: BCC's kprobes where asked for or available, else `fallback` (what the
 * tracepoint form attaches to, for the announcement).
 * @throws NotSupportedError for `kprobe` on a kernel without kprobes, before anything is made.
 */
export function chooseForm(choice: AttachChoice, fallback: string): ChosenForm {
  const has = supportKprobes();
  if (choice === 'kprobe' && !has)
    throw new NotSupportedError('kprobes', 'CONFIG_KPROBE_EVENTS', `use --attach tracepoint (${fallback})`);
  if (choice === 'kprobe' || (choice === 'auto' && has))
    return { kprobe: true, note: choice === 'kprobe' ? 'kprobes, as asked' : 'kprobes, as BCC' };
  return {
    kprobe: false,
    note: choice === 'tracepoint' ? `using ${fallback}, as asked` : `no kprobes: using ${fallback}`,
  };
}

/** Adds `--attach auto|kprobe|tracepoint` to an example's command. */
export function addAttachOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--attach <form>',
      "auto: BCC's kprobes where the kernel has them, else the tracepoint form; or kprobe / tracepoint",
    )
      .argParser(choiceOption('attach', ['auto', 'kprobe', 'tracepoint'] as const))
      .default('auto'),
  );
}

/** Adds `--forks N` (default 3): how many children the --duration fork workload makes. */
export function addForksOption(cmd: Command): Command {
  return cmd.option(
    '--forks <n>',
    'children the --duration workload forks',
    numberOption('forks', { min: 1, max: 1000, integer: true }),
    3,
  );
}

/**
 * `main()` of the examples whose --duration workload is a forking shell (hello_world,
 * hello_fields, trace_fields, hello_perf_output): adds `--attach` and `--forks` to `cmd`,
 * parses `argv` and runs the example with them.
 */
export function forkExampleMain(
  cmd: Command,
  argv: readonly string[],
  run: (opts: TracingRunOptions & { attach: AttachChoice; forks: number }) => Promise<ExampleReport>,
): Promise<number> {
  return runExampleMain<{ attach: AttachChoice; forks: number }>(
    addForksOption(addAttachOption(cmd)),
    argv,
    (o, common) => run({ ...common, attach: o.attach, forks: o.forks }),
  );
}

/**
 * The tracing window: in interactive mode until Ctrl-C (SIGINT/SIGTERM/SIGHUP); in --duration
 * mode the workload runs first (when given), then the rest of the S seconds pass. Resolves
 * with what stopped it.
 */
export async function traceWindow(
  mode: RunMode,
  workload?: () => Promise<void>,
): Promise<'interrupt' | 'duration'> {
  if (mode.kind === 'interactive') {
    // signal handlers do not keep node running: a timer does, until Ctrl-C
    const alive = setInterval(() => undefined, 1 << 30);
    try {
      await mode.waitForStop();
    } finally {
      clearInterval(alive);
    }
    return 'interrupt';
  }
  const end = Date.now() + mode.seconds * 1000;
  if (workload) await workload();
  const left = end - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  return 'duration';
}

/** What {@link forkHelloWindow} saw: the forking shell and its hellos. */
export interface ForkHellos {
  /** The shell (--duration mode only). */
  workload?: Ran & { forks: number };
  /** trace_pipe lines of the shell's pid saying "Hello, World!". */
  hellos: number;
}

/**
 * The tracing window of the examples that print "Hello, World!" on trace_pipe per clone(2)
 * (hello_world, hello_fields, trace_fields): until Ctrl-C, or in --duration mode a shell
 * forks `forks` children and the window waits until that many hellos of the shell's pid
 * arrived (then settles) or the duration ends. The trace is stopped either way.
 */
export async function forkHelloWindow(
  mode: RunMode,
  forks: number,
  trace: TraceFollower,
): Promise<ForkHellos> {
  let workload: ForkHellos['workload'];
  const hellos = (): number =>
    trace.lines.filter((l) => l.fields?.pid === workload?.pid && l.fields?.msg === 'Hello, World!').length;
  try {
    await traceWindow(mode, async () => {
      workload = { ...(await forkWorkload(forks)), forks };
      if (await trace.until(() => hellos() >= forks)) await settle();
    });
  } finally {
    trace.stop();
  }
  return { ...(workload ? { workload } : {}), hellos: workload ? hellos() : 0 };
}

/** trace_pipe lines as they arrive, kept for checks. */
export interface TraceFollower {
  /** Every line read so far (raw) and its parse (undefined for lines that are not events). */
  readonly lines: { raw: string; fields: TraceFields | undefined }[];
  /**
   * Waits until `done(lines)` holds or `timeoutMs` passes (default 30 s: a bound for a run
   * that went wrong, not a pace; it returns as soon as the lines are there, and an emulated
   * guest on a loaded host can take seconds to deliver them); true when it held.
   */
  until(done: (lines: TraceFollower['lines']) => boolean, timeoutMs?: number): Promise<boolean>;
  stop(): void;
}

/**
 * Follows the BPF object's trace_pipe, calling `each` for every line (BCC's trace_print /
 * trace_fields loop) and keeping them. The reader is the object's private tracefs instance, so
 * other programs reading trace_pipe at the same time do not matter.
 */
export async function followTrace(
  bpf: BPF,
  each: (raw: string, fields: TraceFields | undefined) => void,
  parse: (raw: string) => TraceFields | undefined,
): Promise<TraceFollower> {
  const pipe = await bpf.tracePipe();
  const lines: TraceFollower['lines'] = [];
  const waiters = new Set<() => void>();
  const off = pipe.onLine((raw) => {
    const fields = parse(raw);
    lines.push({ raw, fields });
    each(raw, fields);
    for (const w of [...waiters]) w();
  });
  return {
    lines,
    async until(done, timeoutMs = 30_000) {
      if (done(lines)) return true;
      return new Promise<boolean>((resolve) => {
        const check = (): void => {
          if (!done(lines)) return;
          finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        const finish = (v: boolean): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(v);
        };
        waiters.add(check);
      });
    },
    stop: off,
  };
}

/** Waits `ms` more for stragglers after the expected lines arrived (an observation window). */
export function settle(ms = 300): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Logs the one-line announcement of the tracepoint form (BCC's kprobe form prints nothing extra). */
export function announce(log: LogFn, form: ChosenForm): void {
  if (!form.kprobe) log(form.note);
}
