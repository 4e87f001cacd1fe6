/**
 * bitehist: block I/O size histograms. Counts every completed block request's size in kbytes
 * and, on Ctrl-C, prints BCC's log2 histogram and linear histogram. BCC's form is a kprobe on
 * the function that ends a request; where the kernel has no kprobes the example announces
 * block:block_rq_complete and uses it.
 *
 * `--disk NAME` (an addition) counts one disk only. `--duration S` makes its own loop device,
 * writes 5 x 64 KiB and reads 3 x 4 KiB on it with O_DIRECT, prints the histograms of that
 * device, and exits 0 only when they hold exactly those requests.
 */
import { BPF, type Table } from '../../../src/index.js';
import { exampleCommand, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
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
import { diskDev, doneFunction } from '../common/disks.js';
import { log2Slot } from '../common/histograms.js';
import { loopDevice, type LoopDevice } from '../common/workloads.js';

/** The --duration workload: (block size, count) written, then read, with O_DIRECT. */
export const WORKLOAD = { write: { bs: 65536, count: 5 }, read: { bs: 4096, count: 3 } } as const;

/** Options of {@link runBitehist}. */
export interface BitehistOptions extends TracingRunOptions {
  /** Only this disk (`vda`, `loop0`). In --duration mode the example's own loop device. */
  disk?: string;
}

/** What the example counted and printed. */
export interface BitehistResult extends ExampleReport {
  form: ChosenForm;
  /** The kprobe's function (kprobe form). */
  kprobeFunction?: string;
  /** Non-zero slots: log2 slot -> count, and kbytes -> count. */
  log2: Map<number, bigint>;
  linear: Map<number, bigint>;
  /** The printed text. */
  text: string;
  /** The loop device of the --duration workload. */
  device?: string;
}

function nonZero(t: Table<number, bigint>): Map<number, bigint> {
  return new Map([...t.entries()].filter(([, v]) => v > 0n));
}

/** Counts request sizes until Ctrl-C or for the duration, then prints both histograms. */
export async function runBitehist(opts: BitehistOptions = {}): Promise<BitehistResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const form = chooseForm(opts.attach ?? 'auto', 'block:block_rq_complete');
  let loop: LoopDevice | undefined;
  try {
    if (mode.kind === 'duration' && opts.disk === undefined) loop = await loopDevice();
    const disk = loop?.name ?? opts.disk;
    const cflags = disk !== undefined ? [`-DFILTER_DEV=${diskDev(disk)}`] : [];
    using b = await BPF.create({ file: assetPath(import.meta.url, 'bitehist.c'), cflags, autoAttach: false });
    let kprobeFunction: string | undefined;
    if (form.kprobe) {
      kprobeFunction = doneFunction();
      b.attachKprobe({ event: kprobeFunction as string, fnName: 'trace_req_done' });
    } else
      b.attachTracepoint({ tp: 'block:block_rq_complete', fnName: 'tracepoint__block__block_rq_complete' });
    announce(log, form);
    if (loop)
      log(
        `workload: ${loop.path}, ${WORKLOAD.write.count} x ${WORKLOAD.write.bs / 1024} KiB written, ${WORKLOAD.read.count} x ${WORKLOAD.read.bs / 1024} KiB read, O_DIRECT`,
      );
    log('Tracing... Hit Ctrl-C to end.');
    const stop = await traceWindow(mode, async () => {
      if (!loop) return;
      await loop.write(WORKLOAD.write.bs, WORKLOAD.write.count);
      await loop.read(WORKLOAD.read.bs, WORKLOAD.read.count);
    });
    if (stop === 'interrupt') log('');
    const dist = b.table<number, bigint>('dist');
    const linear = b.table<number, bigint>('dist_linear');
    const text = [
      'log2 histogram',
      '~~~~~~~~~~~~~~',
      dist.formatLog2Hist({ valType: 'kbytes' }).replace(/\n$/, ''),
      '',
      'linear histogram',
      '~~~~~~~~~~~~~~~~',
      linear.formatLinearHist({ valType: 'kbytes' }).replace(/\n$/, ''),
    ].join('\n');
    log(text);
    const log2 = nonZero(dist);
    const lin = nonZero(linear);
    const checks = new Checks();
    if (loop) {
      const kw = WORKLOAD.write.bs / 1024;
      const kr = WORKLOAD.read.bs / 1024;
      const show = (m: Map<number, bigint>): string =>
        [...m].map(([k, v]) => `${k}:${v}`).join(' ') || 'empty';
      checks.add(
        `log2 histogram of ${loop.name}: ${WORKLOAD.write.count} in "${kw} -> ${kw * 2 - 1}", ${WORKLOAD.read.count} in "${kr} -> ${kr * 2 - 1}", nothing else`,
        log2.size === 2 &&
          log2.get(log2Slot(kw)) === BigInt(WORKLOAD.write.count) &&
          log2.get(log2Slot(kr)) === BigInt(WORKLOAD.read.count),
        `slots ${show(log2)}`,
      );
      checks.add(
        `linear histogram of ${loop.name}: ${WORKLOAD.write.count} at ${kw}, ${WORKLOAD.read.count} at ${kr}, nothing else`,
        lin.size === 2 &&
          lin.get(kw) === BigInt(WORKLOAD.write.count) &&
          lin.get(kr) === BigInt(WORKLOAD.read.count),
        `kbytes ${show(lin)}`,
      );
    }
    return {
      example: 'bitehist',
      prefix: '',
      checks: checks.list,
      summary: [`${[...log2.values()].reduce((a, v) => a + v, 0n)} requests counted`],
      form,
      ...(kprobeFunction ? { kprobeFunction } : {}),
      log2,
      linear: lin,
      text,
      ...(loop ? { device: loop.path } : {}),
    };
  } finally {
    loop?.close();
  }
}

/** `tsbcc example bitehist [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(
    exampleCommand('bitehist', 'block I/O size histograms (log2 and linear, kbytes)'),
  )
    .option('--disk <name>', 'count only this disk (e.g. vda, loop0); default every disk')
    .addHelpText(
      'after',
      '\nWith --duration S (and no --disk) the example makes a loop device, writes 5 x 64 KiB and reads\n' +
        '3 x 4 KiB on it with O_DIRECT, and exits 0 when the histograms show exactly those requests.',
    );
  return runExampleMain<{ attach: AttachChoice; disk?: string }>(cmd, argv, (o, common) =>
    runBitehist({ ...common, attach: o.attach, ...(o.disk ? { disk: o.disk } : {}) }),
  );
}

runIfMain(import.meta.url, main);
