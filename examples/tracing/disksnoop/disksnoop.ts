/**
 * disksnoop: one line per completed block I/O, `TIME(s) T BYTES LAT(ms)`: the trace_pipe
 * timestamp, the type (W write, R read, M metadata: no bytes), the size and the latency from
 * issue to completion, as BCC's basic iosnoop. BCC's form puts kprobes on the functions that
 * start and end a request and keys a map by the request pointer; where the kernel has no
 * kprobes the example announces and uses the block_rq_issue/block_rq_complete raw tracepoints,
 * whose first argument is that pointer.
 *
 * `--disk NAME` (an addition) shows one disk. `--duration S` makes its own loop device, writes
 * 5 x 64 KiB and reads 3 x 4 KiB with O_DIRECT, and exits 0 only when exactly those eight
 * lines came.
 */
import { BPF, getKprobeFunctions, parseTraceLine, type TraceFields } from '../../../src/index.js';
import { exampleCommand, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
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
import { diskDev, doneFunction } from '../common/disks.js';
import { loopDevice, type LoopDevice } from '../common/workloads.js';

/** include/linux/blk_types.h: REQ_OP_WRITE, the low bit of cmd_flags. */
const REQ_WRITE = 1;

/** The --duration workload, as bitehist's. */
export const WORKLOAD = { write: { bs: 65536, count: 5 }, read: { bs: 4096, count: 3 } } as const;

/** One completed I/O. */
export interface DiskIo {
  ts: number;
  type: 'W' | 'R' | 'M';
  bytes: number;
  ms: number;
}

/** Parses BCC's message `<bytes> <flags hex> <usecs>`; undefined for other messages. */
export function parseDiskIo(f: TraceFields): DiskIo | undefined {
  const m = /^(\d+) ([0-9a-f]+) (\d+)$/.exec(f.msg);
  if (!m) return undefined;
  const bytes = Number(m[1]);
  const flags = Number.parseInt(m[2] ?? '0', 16);
  const type = flags & REQ_WRITE ? 'W' : bytes === 0 ? 'M' : 'R';
  return { ts: f.ts, type, bytes, ms: Number(m[3]) / 1000 };
}

/** BCC's line: `%-18.9f %-2s %-7s %8.2f`. */
export function formatDiskIo(io: DiskIo): string {
  return `${io.ts.toFixed(9).padEnd(18)} ${io.type.padEnd(2)} ${String(io.bytes).padEnd(7)} ${io.ms.toFixed(2).padStart(8)}`;
}

/** BCC's header. */
export const HEADER = `${'TIME(s)'.padEnd(18)} ${'T'.padEnd(2)} ${'BYTES'.padEnd(7)} ${'LAT(ms)'.padStart(8)}`;

/** Options of {@link runDisksnoop}. */
export interface DisksnoopOptions extends TracingRunOptions {
  /** Only this disk; in --duration mode the example's own loop device. */
  disk?: string;
}

/** What the example printed. */
export interface DisksnoopResult extends ExampleReport {
  form: ChosenForm;
  /** The kprobes' functions (kprobe form). */
  kprobeFunctions?: { start: string[]; done: string };
  ios: DiskIo[];
  /** The printed lines, header first. */
  lines: string[];
  device?: string;
}

/** Prints one line per completed block I/O until Ctrl-C or for the duration. */
export async function runDisksnoop(opts: DisksnoopOptions = {}): Promise<DisksnoopResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'raw tracepoints block_rq_issue and block_rq_complete');
  let loop: LoopDevice | undefined;
  try {
    if (mode.kind === 'duration' && opts.disk === undefined) loop = await loopDevice();
    const disk = loop?.name ?? opts.disk;
    const cflags = disk !== undefined ? [`-DFILTER_DEV=${diskDev(disk)}`] : [];
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'disksnoop.c'),
      cflags,
      autoAttach: false,
    });
    let kprobeFunctions: DisksnoopResult['kprobeFunctions'];
    if (form.kprobe) {
      // BCC: blk_start_request where it exists (before 5.0), and blk_mq_start_request
      const start = ['blk_start_request', 'blk_mq_start_request'].filter(
        (f) => f === 'blk_mq_start_request' || getKprobeFunctions(f).length > 0,
      );
      const done = doneFunction();
      for (const event of start) b.attachKprobe({ event, fnName: 'trace_start' });
      b.attachKprobe({ event: done, fnName: 'trace_completion' });
      kprobeFunctions = { start, done };
    } else {
      b.attachRawTracepoint({ tp: 'block_rq_issue', fnName: 'raw_tracepoint__block_rq_issue' });
      b.attachRawTracepoint({ tp: 'block_rq_complete', fnName: 'raw_tracepoint__block_rq_complete' });
    }
    announce(log, form);
    if (loop)
      log(
        `workload: ${loop.path}, ${WORKLOAD.write.count} x ${WORKLOAD.write.bs / 1024} KiB written, ${WORKLOAD.read.count} x ${WORKLOAD.read.bs / 1024} KiB read, O_DIRECT`,
      );
    const lines = [HEADER];
    log(HEADER);
    const ios: DiskIo[] = [];
    const trace = await followTrace(
      b,
      (_raw, f) => {
        const io = f && parseDiskIo(f);
        if (!io) return;
        ios.push(io);
        const line = formatDiskIo(io);
        lines.push(line);
        log(line);
      },
      parseTraceLine,
    );
    const expected = WORKLOAD.write.count + WORKLOAD.read.count;
    try {
      await traceWindow(mode, async () => {
        if (!loop) return;
        await loop.write(WORKLOAD.write.bs, WORKLOAD.write.count);
        await loop.read(WORKLOAD.read.bs, WORKLOAD.read.count);
        if (await trace.until(() => ios.length >= expected)) await settle();
      });
    } finally {
      trace.stop();
    }
    const checks = new Checks();
    if (loop) {
      const count = (t: string, bytes: number): number =>
        ios.filter((i) => i.type === t && i.bytes === bytes).length;
      checks.add(
        `${loop.name}: ${WORKLOAD.write.count} lines "W ${WORKLOAD.write.bs}", ${WORKLOAD.read.count} lines "R ${WORKLOAD.read.bs}", nothing else`,
        ios.length === expected &&
          count('W', WORKLOAD.write.bs) === WORKLOAD.write.count &&
          count('R', WORKLOAD.read.bs) === WORKLOAD.read.count,
        ios.map((i) => `${i.type} ${i.bytes}`).join(', ') || 'no lines',
      );
      checks.add(
        'every latency is at least 0 and below 10 s',
        ios.length > 0 && ios.every((i) => i.ms >= 0 && i.ms < 10_000),
        ios.map((i) => i.ms.toFixed(2)).join(', '),
      );
    }
    return {
      example: 'disksnoop',
      prefix: '',
      checks: checks.list,
      summary: [`${ios.length} block I/Os`],
      form,
      ...(kprobeFunctions ? { kprobeFunctions } : {}),
      ios,
      lines,
      ...(loop ? { device: loop.path } : {}),
    };
  } finally {
    loop?.close();
  }
}

/** `tsbcc example disksnoop [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(exampleCommand('disksnoop', 'one line per block I/O: type, bytes, latency'))
    .option('--disk <name>', 'only this disk (e.g. vda, loop0); default every disk')
    .addHelpText(
      'after',
      '\nWith --duration S (and no --disk) the example makes a loop device, writes 5 x 64 KiB and reads\n' +
        '3 x 4 KiB on it with O_DIRECT, and exits 0 when exactly those eight I/Os are printed.',
    );
  return runExampleMain<{ attach: AttachChoice; disk?: string }>(cmd, argv, (o, common) =>
    runDisksnoop({ ...common, attach: o.attach, ...(o.disk ? { disk: o.disk } : {}) }),
  );
}

runIfMain(import.meta.url, main);
