/**
 * hardirqs: time (or count) spent in hard interrupt handlers, per handler name, as totals or
 * log2 histograms. The irq:irq_handler_entry/exit tracepoints, on every kernel (BCC's tool uses
 * them too).
 */
import { InvalidArgumentError } from '../errors.js';
import { formatLog2Hist } from '../maps/histogram.js';
import { addIntervalArguments, intArg } from './args.js';
import { clockTime, sprintf } from './format.js';
import { tracepointProbe } from './session.js';
import { byValue, drain } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  timestamp?: boolean;
  nanoseconds?: boolean;
  count?: boolean;
  dist?: boolean;
  cpu?: number;
}

interface IrqKey {
  name: string;
  slot: bigint;
}

function program(o: Options, factor: number): string {
  const cpuFilter = o.cpu !== undefined ? `if (cpu != ${o.cpu}) return 0;` : '';
  const store = o.count
    ? 'dist.atomic_increment(k);'
    : o.dist
      ? `k.slot = bpf_log2l(delta / ${factor});\n        dist.atomic_increment(k);`
      : 'dist.atomic_increment(k, delta);';
  return `#include <uapi/linux/ptrace.h>

// The idle task (pid 0) runs on every CPU: the CPU is part of the key.
struct irq_entry {
    u32 tid;
    u32 cpu;
};

struct irq_start {
    u64 ts;
    char name[32];
};

struct irq_key {
    char name[32];
    u64 slot;
};

BPF_HASH(start, struct irq_entry, struct irq_start);
BPF_HISTOGRAM(dist, struct irq_key);

TRACEPOINT_PROBE(irq, irq_handler_entry)
{
    u32 cpu = bpf_get_smp_processor_id();
    ${cpuFilter}
    struct irq_entry e = {.tid = (u32)bpf_get_current_pid_tgid(), .cpu = cpu};
    struct irq_start v = {.ts = bpf_ktime_get_ns()};
    TP_DATA_LOC_READ_STR(&v.name, name, sizeof(v.name));
    start.update(&e, &v);
    return 0;
}

TRACEPOINT_PROBE(irq, irq_handler_exit)
{
    u32 cpu = bpf_get_smp_processor_id();
    ${cpuFilter}
    struct irq_entry e = {.tid = (u32)bpf_get_current_pid_tgid(), .cpu = cpu};
    struct irq_start *v = start.lookup(&e);
    if (v == 0)
        return 0;
    // IRQ_NONE: the handler did not claim the interrupt
    if (args->ret != 0) {
        u64 delta = bpf_ktime_get_ns() - v->ts;
        struct irq_key k = {};
        __builtin_memcpy(&k.name, v->name, sizeof(k.name));
        ${store}
    }
    start.delete(&e);
    return 0;
}
`;
}

export default defineTool<Options>({
  name: 'hardirqs',
  description: 'Summarize hard irq event time as histograms',
  examples: `
    tsbcc tool hardirqs            # sum hard irq event time
    tsbcc tool hardirqs -d         # show hard irq event time as histograms
    tsbcc tool hardirqs 1 10       # print 1 second summaries, 10 times
    tsbcc tool hardirqs -NT 1      # 1s summaries, nanoseconds, and timestamps
    tsbcc tool hardirqs -c 1       # sum hard irq event time on CPU 1 only`,
  configure(cmd) {
    cmd
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-N, --nanoseconds', 'output in nanoseconds')
      .option('-C, --count', 'show event counts instead of timing')
      .option('-d, --dist', 'show distributions as histograms')
      .option('-c, --cpu <cpu>', 'trace this CPU only', intArg);
    addIntervalArguments(cmd);
  },
  async run(o, args, s) {
    if (o.count && (o.dist || o.nanoseconds))
      throw new InvalidArgumentError("The --count option can't be used with time-based options");
    const [factor, label] = o.count ? [1, 'count'] : o.nanoseconds ? [1, 'nsecs'] : [1000, 'usecs'];
    const b = await s.load(program(o, factor), [
      tracepointProbe('irq', 'irq_handler_entry'),
      tracepointProbe('irq', 'irq_handler_exit'),
    ]);
    if (!b) return 0;
    const dist = b.table<IrqKey, bigint>('dist', { strings: true });
    s.print(
      o.count
        ? 'Tracing hard irq events... Hit Ctrl-C to end.'
        : 'Tracing hard irq event time... Hit Ctrl-C to end.',
    );
    const interval = (args[0] as number | undefined) ?? 99999999;
    const count = (args[1] as number | undefined) ?? 99999999;
    await s.everyInterval({ interval, count }, () => {
      s.print();
      if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
      const entries = drain(dist);
      if (o.dist) {
        s.write(
          formatLog2Hist(entries, { valType: label, sectionHeader: 'hardirq', sectionPrintFn: String }),
        );
      } else {
        s.print(sprintf('%-26s %11s', 'HARDIRQ', `TOTAL_${label}`));
        for (const [k, v] of byValue(entries, true))
          s.print(sprintf('%-26s %11d', k.name, v / BigInt(factor)));
      }
    });
    return 0;
  },
});
