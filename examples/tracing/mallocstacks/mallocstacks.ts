/**
 * mallocstacks: which code paths of a process allocate how much. A uprobe on libc's malloc, for
 * one pid, adds each requested size to the user stack that called malloc; at Ctrl-C the stacks
 * are printed largest first, as BCC's `mallocstacks PID [NUM_STACKS]` prints them. uprobes work
 * on every kernel, so there is one form.
 *
 * `tsbcc example mallocstacks PID` traces PID until Ctrl-C. `--duration S` without a PID starts
 * a python process of its own that mallocs 5 blocks of 123457 bytes through ctypes, and exits 0
 * only when one stack holds exactly those 617285 bytes, malloc first.
 */
import { BPF, StackTraceTable, TsbccError, usym } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import { traceWindow, type TracingRunOptions } from '../common/trace-example.js';
import { SteppedPython } from '../common/workloads.js';

/** The --duration workload: this many mallocs of SIZE bytes. */
export const WORKLOAD = { calls: 5, size: 123457 } as const;

/** Options of {@link runMallocstacks}. */
export interface MallocstacksOptions extends TracingRunOptions {
  /** The process to trace; in --duration mode without it, the example's own python. */
  pid?: number;
  /** Size of the stack table (BCC's NUM_STACKS, default 1024). */
  stacks?: number;
}

/** One stack and the bytes allocated from it. */
export interface MallocStack {
  bytes: bigint;
  frames: string[];
}

/** What the example printed and saw. */
export interface MallocstacksResult extends ExampleReport {
  pid: number;
  stacks: MallocStack[];
  output: string[];
}

/** A python process paused on stdin that mallocs WORKLOAD.calls × WORKLOAD.size on "go". */
class MallocWorkload extends SteppedPython {
  constructor() {
    super(
      ['libc.malloc.restype = ctypes.c_void_p'],
      [`ptrs = [libc.malloc(${WORKLOAD.size}) for _ in range(${WORKLOAD.calls})]`],
    );
  }
}

/** Traces malloc in one process; prints the bytes per stack at the end. */
export async function runMallocstacks(opts: MallocstacksOptions = {}): Promise<MallocstacksResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const stacks = opts.stacks ?? 1024;
  const workload = opts.pid === undefined && mode.kind === 'duration' ? new MallocWorkload() : undefined;
  try {
    if (workload) await workload.until('ready');
    const pid = opts.pid ?? workload?.pid;
    if (pid === undefined)
      throw new TsbccError('mallocstacks needs a PID (or --duration, for its own workload)', 'EINVAL');
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'mallocstacks.c'),
      cflags: [`-DNUM_STACKS=${stacks}`],
      autoAttach: false,
    });
    b.attachUprobe({ name: 'c', sym: 'malloc', fnName: 'alloc_enter', pid });
    log(`Attaching to malloc in pid ${pid}, Ctrl+C to quit.`);
    await traceWindow(mode, async () => {
      if (!workload) return;
      workload.go();
      await workload.until('done');
    });
    const calls = b.table<number, bigint>('calls');
    const traces = b.table('stack_traces') as StackTraceTable;
    const found: MallocStack[] = [...calls.entries()]
      .sort((x, y) => (x[1] < y[1] ? 1 : x[1] > y[1] ? -1 : 0))
      .map(([id, bytes]) => ({ bytes, frames: traces.walk(id, (a) => usym(a, pid, { showOffset: true })) }));
    const output: string[] = [];
    for (const s of found) {
      output.push(`${s.bytes} bytes allocated at:`, ...s.frames.map((f) => `\t${f}`), `    ${s.bytes}`, '');
    }
    for (const l of output) log(l);
    const checks = new Checks();
    if (workload) {
      const want = BigInt(WORKLOAD.calls * WORKLOAD.size);
      const mine = found.filter((s) => s.bytes === want);
      checks.add(
        `one stack allocated the workload's ${WORKLOAD.calls} × ${WORKLOAD.size} bytes, malloc first`,
        mine.length === 1 && /malloc/.test(mine[0]?.frames[0] ?? ''),
        mine.length === 0
          ? `no stack with ${want} bytes among ${found.length}`
          : `first frame ${mine[0]?.frames[0] ?? 'none'}`,
      );
    }
    return {
      example: 'mallocstacks',
      prefix: '',
      checks: checks.list,
      summary: [`${found.length} stacks`],
      pid,
      stacks: found,
      output,
    };
  } finally {
    workload?.end();
  }
}

/** `tsbcc example mallocstacks [PID] [NUM_STACKS]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand('mallocstacks', 'bytes allocated by malloc() per user stack of one process')
    .argument(
      '[pid]',
      'the process to trace (without it, --duration runs a workload of its own)',
      numberOption('pid', { min: 1, integer: true }),
    )
    .argument(
      '[stacks]',
      'stack table size (NUM_STACKS, default 1024)',
      numberOption('stacks', { min: 1, integer: true }),
    );
  return runExampleMain<object>(cmd, argv, (_o, common) => {
    const [pid, stacks] = cmd.processedArgs as [number | undefined, number | undefined];
    return runMallocstacks({
      ...common,
      ...(pid !== undefined ? { pid } : {}),
      ...(stacks !== undefined ? { stacks } : {}),
    });
  });
}

runIfMain(import.meta.url, main);
