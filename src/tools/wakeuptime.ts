/**
 * wakeuptime: sums the time threads were blocked by the kernel stack of the thread that woke
 * them (the waker) and the target's name; -f prints folded stacks. The sched_switch and
 * sched_wakeup raw tracepoints (BCC's choice where raw tracepoints exist), or BCC's kprobes on
 * schedule and try_to_wake_up with `--attach kprobe`.
 */
import { InvalidArgumentError } from '../errors.js';
import type { StackTraceTable } from '../maps/stack-trace.js';
import { nonNegativeInt, positiveInt } from './args.js';
import { sprintf } from './format.js';
import { rawTracepointProbe, type Attachment } from './session.js';
import { StackPrinter, stackIdNoMemory, trimTracingFrames } from './stacks.js';
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  useronly?: boolean;
  pid?: number;
  verbose?: boolean;
  folded?: boolean;
  stackStorageSize: number;
  minBlockTime: number;
  maxBlockTime?: number;
}

interface WakeKey {
  w_k_stack_id: number;
  waker: string;
  target: string;
}

const PF_KTHREAD = 0x00200000;

function program(o: Options, kprobes: boolean): string {
  const filter = o.pid !== undefined ? `pid != ${o.pid}` : o.useronly ? `flags & ${PF_KTHREAD}` : '0';
  const max = o.maxBlockTime !== undefined ? `${o.maxBlockTime}ULL` : '0xffffffffffffffffULL';
  const hooks = kprobes
    ? `
int offcpu(struct pt_regs *ctx) { return offcpu_sched_switch(); }

int waker(struct pt_regs *ctx, struct task_struct *p) { return wakeup(ctx, p); }
`
    : `
RAW_TRACEPOINT_PROBE(sched_switch)
{
    // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...)
    return offcpu_sched_switch();
}

RAW_TRACEPOINT_PROBE(sched_wakeup)
{
    // TP_PROTO(struct task_struct *p)
    return wakeup(ctx, (struct task_struct *)ctx->args[0]);
}
`;
  return `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#define MINBLOCK_US ${o.minBlockTime}ULL
#define MAXBLOCK_US ${max}

struct key_t {
    int w_k_stack_id;
    char waker[TASK_COMM_LEN];
    char target[TASK_COMM_LEN];
};

BPF_HASH(counts, struct key_t);
BPF_HASH(start, u32);
BPF_STACK_TRACE(stack_traces, ${o.stackStorageSize});

/** The current task is going to sleep: when. */
static int offcpu_sched_switch(void)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = id;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    unsigned int flags = 0;
    bpf_probe_read_kernel(&flags, sizeof(flags), &task->flags);
    if (${filter})
        return 0;
    u64 ts = bpf_ktime_get_ns();
    start.update(&tid, &ts);
    return 0;
}

/** Task p is woken by the current task: how long it slept, by the waker's stack. */
static int wakeup(void *ctx, struct task_struct *p)
{
    u32 pid = 0, tid = 0;
    unsigned int flags = 0;
    bpf_probe_read_kernel(&pid, sizeof(pid), &p->tgid);
    bpf_probe_read_kernel(&tid, sizeof(tid), &p->pid);
    bpf_probe_read_kernel(&flags, sizeof(flags), &p->flags);
    u64 *tsp = start.lookup(&tid);
    if (tsp == 0)
        return 0; // missed the sleep
    u64 then = *tsp;
    start.delete(&tid);
    if (${filter})
        return 0;
    u64 delta = (bpf_ktime_get_ns() - then) / 1000;
    if (delta < MINBLOCK_US || delta > MAXBLOCK_US)
        return 0;
    struct key_t key = {};
    key.w_k_stack_id = stack_traces.get_stackid(ctx, 0);
    bpf_probe_read_kernel(&key.target, sizeof(key.target), &p->comm);
    bpf_get_current_comm(&key.waker, sizeof(key.waker));
    counts.atomic_increment(key, delta);
    return 0;
}
${hooks}`;
}

export default defineTool<Options>({
  name: 'wakeuptime',
  description: 'Summarize sleep to wakeup time by waker kernel stack',
  examples: `
    tsbcc tool wakeuptime             # trace blocked time with waker stacks
    tsbcc tool wakeuptime 5           # trace for 5 seconds only
    tsbcc tool wakeuptime -f 5        # 5 seconds, and output in folded format
    tsbcc tool wakeuptime -u          # don't include kernel threads (user only)
    tsbcc tool wakeuptime -p 185      # trace for PID 185 only`,
  configure(cmd) {
    cmd
      .option('-u, --useronly', 'user threads only (no kernel threads)')
      .option('-p, --pid <pid>', 'trace this PID only', nonNegativeInt)
      .option('-v, --verbose', 'show raw addresses (and say on stderr what was attached)')
      .option('-f, --folded', 'output folded format')
      .option(
        '--stack-storage-size <n>',
        'the number of unique stack traces that can be stored and displayed (default 16384)',
        positiveInt,
        16384,
      )
      .option(
        '-m, --min-block-time <us>',
        'the amount of time in microseconds over which we store traces (default 1)',
        positiveInt,
        1,
      )
      .option(
        '-M, --max-block-time <us>',
        'the amount of time in microseconds under which we store traces (default U64_MAX)',
        positiveInt,
      )
      .argument('[duration]', 'duration of trace, in seconds', positiveInt);
  },
  async run(o, args, s) {
    if (o.pid !== undefined && o.useronly) throw new InvalidArgumentError('use either -p or -u.');
    // raw tracepoints (BCC's choice) unless kprobes are asked for
    const kprobes = s.options.attach === 'kprobe' && s.kprobes;
    const attachments: Attachment[] = kprobes
      ? [
          { kind: 'kprobe', target: 'schedule', fn: 'offcpu' },
          { kind: 'kprobe', target: 'try_to_wake_up', fn: 'waker' },
        ]
      : [rawTracepointProbe('sched_switch'), rawTracepointProbe('sched_wakeup')];
    const b = await s.load(program(o, kprobes), attachments);
    if (!b) return 0;
    const duration = (args[0] as number | undefined) ?? 99999999;
    if (!o.folded)
      s.print(
        `Tracing blocked time (us) by kernel stack${duration < 99999999 ? ` for ${duration} secs.` : '... Hit Ctrl-C to end.'}`,
      );
    await s.wait(duration < 99999999 ? duration * 1000 : undefined);
    if (!o.folded) s.print();
    const counts = b.table<WakeKey, bigint>('counts', { strings: true });
    const st = new StackPrinter(b.table('stack_traces') as StackTraceTable);
    let missing = 0;
    for (const [k, v] of byValue(counts.lookupAndDeleteBatch())) {
      if (stackIdNoMemory(k.w_k_stack_id)) {
        missing++;
        continue;
      }
      // the first frame is the probe's own function (try_to_wake_up, or the tracing path)
      const stack = trimTracingFrames(k.w_k_stack_id < 1 ? [] : st.addresses(k.w_k_stack_id), st).slice(
        kprobes ? 1 : 0,
      );
      if (o.folded) {
        s.print(`${[k.waker, ...[...stack].reverse().map((a) => st.kernel(a)), k.target].join(';')} ${v}`);
        continue;
      }
      s.print(sprintf('    %-16s %s', 'target:', k.target));
      for (const a of stack) s.print(sprintf('    %-16x %s', a, st.kernel(a, true)));
      s.print(sprintf('    %-16s %s', 'waker:', k.waker));
      s.print(`        ${v}\n`);
    }
    if (missing > 0)
      s.warn(
        `WARNING: ${missing} stack traces could not be displayed. Consider increasing --stack-storage-size.`,
      );
    if (!o.folded) s.print('Detaching...');
    return 0;
  },
});
