/**
 * softirqs: time (or count) spent in soft interrupts, per softirq vector, as totals or log2
 * histograms. The irq:softirq_entry/exit tracepoints, on every kernel (BCC's tool uses them too).
 */
import { InvalidArgumentError } from '../errors.js';
import { formatLog2Hist } from '../maps/histogram.js';
import { addIntervalArguments, intArg } from './args.js';
import { clockTime, sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { byValue, drain } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  timestamp?: boolean;
  nanoseconds?: boolean;
  events?: boolean;
  dist?: boolean;
  cpu?: number;
}

interface SoftirqKey {
  vec: number;
  slot: bigint;
}

/** The kernel's softirq_to_name[] (kernel/softirq.c). */
const VECTORS = [
  'hi',
  'timer',
  'net_tx',
  'net_rx',
  'block',
  'irq_poll',
  'tasklet',
  'sched',
  'hrtimer',
  'rcu',
];

/** The name of softirq vector `vec`. */
export function softirqName(vec: number): string {
  return VECTORS[vec] ?? String(vec);
}

function program(o: Options, factor: number): string {
  const cpuFilter = o.cpu !== undefined ? `if (cpu != ${o.cpu}) return 0;` : '';
  const head = `#include <uapi/linux/ptrace.h>

struct softirq_entry {
    u32 pid;
    u32 cpu;
};

struct softirq_start {
    u64 ts;
    u32 vec;
};

struct softirq_key {
    u32 vec;
    u64 slot;
};

BPF_HASH(start, struct softirq_entry, struct softirq_start);
BPF_HISTOGRAM(dist, struct softirq_key);
`;
  if (o.events)
    return `${head}
TRACEPOINT_PROBE(irq, softirq_entry)
{
    u32 cpu = bpf_get_smp_processor_id();
    ${cpuFilter}
    struct softirq_key k;
    __builtin_memset(&k, 0, sizeof(k)); // the padding is part of the key
    k.vec = args->vec;
    dist.atomic_increment(k);
    return 0;
}
`;
  const store = o.dist
    ? `k.slot = bpf_log2l(delta / ${factor});\n    dist.atomic_increment(k);`
    : 'dist.atomic_increment(k, delta);';
  return `${head}
TRACEPOINT_PROBE(irq, softirq_entry)
{
    u32 cpu = bpf_get_smp_processor_id();
    ${cpuFilter}
    struct softirq_entry e = {.pid = (u32)bpf_get_current_pid_tgid(), .cpu = cpu};
    struct softirq_start v = {.ts = bpf_ktime_get_ns(), .vec = args->vec};
    start.update(&e, &v);
    return 0;
}

TRACEPOINT_PROBE(irq, softirq_exit)
{
    u32 cpu = bpf_get_smp_processor_id();
    ${cpuFilter}
    struct softirq_entry e = {.pid = (u32)bpf_get_current_pid_tgid(), .cpu = cpu};
    struct softirq_start *v = start.lookup(&e);
    if (v == 0)
        return 0;
    u64 delta = bpf_ktime_get_ns() - v->ts;
    struct softirq_key k;
    __builtin_memset(&k, 0, sizeof(k)); // the padding is part of the key
    k.vec = v->vec;
    ${store}
    start.delete(&e);
    return 0;
}
`;
}

export default defineTool<Options>({
  name: 'softirqs',
  description: 'Summarize soft irq event time as histograms.',
  examples: `
    tsbcc tool softirqs            # sum soft irq event time
    tsbcc tool softirqs -C         # show the number of soft irq events
    tsbcc tool softirqs -d         # show soft irq event time as histograms
    tsbcc tool softirqs 1 10       # print 1 second summaries, 10 times
    tsbcc tool softirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
    tsbcc tool softirqs -c 1       # sum soft irq event time on CPU 1 only`,
  configure(cmd) {
    cmd
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-N, --nanoseconds', 'output in nanoseconds')
      .option('-C, --events', 'show the number of soft irq events')
      .option('-d, --dist', 'show distributions as histograms')
      .option('-c, --cpu <cpu>', 'trace this CPU only', intArg);
    addIntervalArguments(cmd);
  },
  async run(o, args, s) {
    if (o.events && (o.dist || o.nanoseconds))
      throw new InvalidArgumentError("The --events option can't be used with time-based options");
    const [factor, label] = o.events ? [1, 'count'] : o.nanoseconds ? [1, 'nsecs'] : [1000, 'usecs'];
    const attachments: Attachment[] = [tracepointProbe('irq', 'softirq_entry')];
    if (!o.events) attachments.push(tracepointProbe('irq', 'softirq_exit'));
    const b = await s.load(program(o, factor), attachments);
    if (!b) return 0;
    const dist = b.table<SoftirqKey, bigint>('dist');
    s.print(
      o.events
        ? 'Tracing soft irq events... Hit Ctrl-C to end.'
        : 'Tracing soft irq event time... Hit Ctrl-C to end.',
    );
    const interval = (args[0] as number | undefined) ?? 99999999;
    const count = (args[1] as number | undefined) ?? 99999999;
    await s.everyInterval({ interval, count }, () => {
      s.print();
      if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
      const entries = drain(dist);
      if (o.dist) {
        s.write(
          formatLog2Hist(entries, {
            valType: label,
            sectionHeader: 'softirq',
            sectionPrintFn: (v) => softirqName(Number(v)),
          }),
        );
      } else {
        s.print(sprintf('%-16s %11s', 'SOFTIRQ', `TOTAL_${label}`));
        for (const [k, v] of byValue(entries, true))
          s.print(sprintf('%-16s %11d', softirqName(k.vec), v / BigInt(factor)));
      }
    });
    return 0;
  },
});
