/**
 * vfsreadlat: VFS read latency as a log2 histogram in microseconds, printed every interval
 * (5 s by default) and cleared, as BCC's `vfsreadlat.py [interval [count]]`. BCC's form is a
 * kprobe and kretprobe on vfs_read; where the kernel has no kprobes the example announces the
 * read(2) syscall tracepoints and uses them (an approximation: read(2) only, timed as a
 * syscall).
 *
 * `--pid PID` (an addition) times one process. `--duration S` starts `dd` reading its stdin
 * one byte at a time and, 20 times, feeds it a byte 50 ms after it was seen blocked in read(2)
 * (so a loaded machine cannot make a read short); it exits 0 only when the histograms hold
 * exactly those 20 reads, each in a bucket of 16 ms or more.
 */
import { BPF, formatLog2Hist, InvalidArgumentError, type Table } from '../../../src/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  addAttachOption,
  announce,
  chooseForm,
  type AttachChoice,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';
import { everyInterval, HistogramDelta, log2Slot, sumSlots } from '../common/histograms.js';
import { pacedReader, type PacedReader } from '../common/workloads.js';

/** The --duration workload: reads and the gap between the bytes that end them. */
export const WORKLOAD = { reads: 20, gapMs: 50 } as const;

/** Options of {@link runVfsreadlat}. */
export interface VfsreadlatOptions extends TracingRunOptions {
  /** Seconds between histograms (default 5). */
  interval?: number;
  /** Histograms to print before exiting (default: until Ctrl-C or the duration's end). */
  count?: number;
  /** Only this process. */
  pid?: number;
}

/** What the example printed. */
export interface VfsreadlatResult extends ExampleReport {
  form: ChosenForm;
  /** Every histogram printed: non-zero slots (log2 slot -> count) and the text. */
  intervals: { slots: Map<number, bigint>; text: string }[];
  /** The workload's reader (--duration mode). */
  workload?: { pid: number; reads: number; gapMs: number };
}

/** Prints the read latency histogram every interval until Ctrl-C, the count, or the duration. */
export async function runVfsreadlat(opts: VfsreadlatOptions = {}): Promise<VfsreadlatResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 3 };
  const interval = opts.interval ?? 5;
  if (!(interval > 0)) throw new InvalidArgumentError(`interval must be positive, not ${interval}`);
  const form = chooseForm(
    opts.attach ?? 'auto',
    'syscalls:sys_enter_read/sys_exit_read (an approximation of vfs_read: read(2) only)',
  );
  let reader: PacedReader | undefined;
  let feeding: Promise<void> | undefined;
  try {
    // the reader starts first and blocks in read(2); only the reads that follow are timed
    if (mode.kind === 'duration' && opts.pid === undefined) reader = await pacedReader(WORKLOAD.reads);
    const pid = reader?.pid ?? opts.pid;
    const cflags = pid !== undefined ? [`-DFILTER_PID=${pid}`] : [];
    using b = await BPF.create({
      file: assetPath(import.meta.url, 'vfsreadlat.c'),
      cflags,
      autoAttach: false,
    });
    if (form.kprobe) {
      b.attachKprobe({ event: 'vfs_read', fnName: 'do_entry' });
      b.attachKretprobe({ event: 'vfs_read', fnName: 'do_return' });
    } else {
      b.attachTracepoint({ tp: 'syscalls:sys_enter_read', fnName: 'tracepoint__syscalls__sys_enter_read' });
      b.attachTracepoint({ tp: 'syscalls:sys_exit_read', fnName: 'tracepoint__syscalls__sys_exit_read' });
    }
    announce(log, form);
    if (reader)
      log(
        `workload: dd (pid ${reader.pid}) reads its stdin, fed a byte ${WORKLOAD.gapMs} ms after each of its next ${WORKLOAD.reads} reads blocks`,
      );
    log('Tracing... Hit Ctrl-C to end.');

    // BCC prints the map and clears it; here each interval shows what the map gained since the
    // last one: the same histogram, without the counts lost between printing and clearing
    const dist = new HistogramDelta(b.table<number, bigint>('dist') as Table<number, bigint>);
    const intervals: VfsreadlatResult['intervals'] = [];
    feeding = reader?.feed(WORKLOAD.reads, WORKLOAD.gapMs);
    await everyInterval({
      mode,
      interval,
      ...(opts.count !== undefined ? { count: opts.count } : {}),
      // the workload's reads all land in the histograms before the last one is printed
      ...(feeding ? { beforeLast: feeding } : {}),
      tick: () => {
        const slots = dist.take();
        const text = formatLog2Hist(slots, { valType: 'usecs' });
        log('');
        log(text.replace(/\n$/, ''));
        intervals.push({ slots, text });
      },
    });
    const checks = new Checks();
    if (reader) {
      const all = sumSlots(intervals.map((i) => i.slots));
      const total = [...all.values()].reduce((a, v) => a + v, 0n);
      const floor = log2Slot(16_384);
      const slow = [...all].filter(([k]) => k >= floor).reduce((a, [, v]) => a + v, 0n);
      checks.add(
        `dd (pid ${reader.pid}): exactly ${WORKLOAD.reads} reads timed`,
        total === BigInt(WORKLOAD.reads),
        `${total} reads in the histograms`,
      );
      checks.add(
        `each of them waited for its byte (16 ms or more)`,
        slow === BigInt(WORKLOAD.reads),
        `${slow} in buckets from 16384 usecs`,
      );
    }
    return {
      example: 'vfsreadlat',
      prefix: '',
      checks: checks.list,
      summary: [`${intervals.length} histograms`],
      form,
      intervals,
      ...(reader ? { workload: { pid: reader.pid, reads: WORKLOAD.reads, gapMs: WORKLOAD.gapMs } } : {}),
    };
  } finally {
    reader?.close();
    await feeding?.catch(() => undefined); // stopped by close(); its error, if any, was reported above
  }
}

/** `tsbcc example vfsreadlat [interval [count]] [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(exampleCommand('vfsreadlat', 'vfs_read latency histogram every interval'))
    .argument(
      '[interval]',
      'seconds between histograms (default 5)',
      numberOption('interval', { min: 0.1, max: 3600 }),
    )
    .argument('[count]', 'histograms to print, then exit', numberOption('count', { min: 1, integer: true }))
    .option('--pid <pid>', 'only this process', numberOption('pid', { min: 1, integer: true }));
  return runExampleMain<{ attach: AttachChoice; pid?: number }>(cmd, argv, (o, common) => {
    const [interval, count] = cmd.processedArgs as [number | undefined, number | undefined];
    return runVfsreadlat({
      ...common,
      attach: o.attach,
      ...(interval !== undefined ? { interval } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(o.pid !== undefined ? { pid: o.pid } : {}),
    });
  });
}

runIfMain(import.meta.url, main);
