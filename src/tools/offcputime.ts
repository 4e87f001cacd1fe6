/**
 * offcputime: sums the time threads spend off-CPU (blocked, sleeping, preempted) by their
 * kernel and user stack traces; -f prints folded stacks for flame graphs. BCC's form is a
 * kprobe on finish_task_switch (the task coming back on CPU, whose stack shows where it
 * blocked). Without kprobes, the sched_switch raw tracepoint: the stacks of the task going off
 * CPU are taken there (it is still current), and the time is added when it comes back.
 */
import { InvalidArgumentError } from '../errors.js';
import type { StackTraceTable } from '../maps/stack-trace.js';
import { getKprobeFunctions } from '../tracing/kprobe-functions.js';
import { intList, nonNegativeInt, positiveInt } from './args.js';
import { rawTracepointProbe, type Attachment } from './session.js';
import { StackPrinter, stackIdError, stackIdNoMemory, trimTracingFrames } from './stacks.js';
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number[];
  tid?: number[];
  userThreadsOnly?: boolean;
  kernelThreadsOnly?: boolean;
  userStacksOnly?: boolean;
  kernelStacksOnly?: boolean;
  delimited?: boolean;
  folded?: boolean;
  offset?: boolean;
  stackStorageSize: number;
  minBlockTime: number;
  maxBlockTime?: number;
  state?: number;
}

interface OffcpuKey {
  pid: number;
  tgid: number;
  user_stack_id: number;
  kernel_stack_id: number;
  name: string;
}

const PF_KTHREAD = 0x00200000;

/** The thread filter (C, over pid/tgid/flags of the task going off CPU) and how it is described. */
function threadFilter(o: Options): { thread: string; context: string } {
  if (o.pid)
    return { thread: o.pid.map((p) => `tgid == ${p}`).join(' || '), context: `PIDs ${o.pid.join(',')}` };
  if (o.tid)
    return { thread: o.tid.map((p) => `pid == ${p}`).join(' || '), context: `TIDs ${o.tid.join(',')}` };
  if (o.userThreadsOnly) return { thread: `!(flags & ${PF_KTHREAD})`, context: 'user threads' };
  if (o.kernelThreadsOnly) return { thread: `flags & ${PF_KTHREAD}`, context: 'kernel threads' };
  return { thread: '1', context: 'all threads' };
}

function program(o: Options, kprobes: boolean, stateField: '__state' | 'state'): string {
  const thread = threadFilter(o).thread;
  const state = o.state === undefined ? '1' : o.state === 0 ? 'state == 0' : `state & ${o.state}`;
  const userStack = o.kernelStacksOnly ? '-1' : 'stack_traces.get_stackid(ctx, BPF_F_USER_STACK)';
  const kernelStack = o.userStacksOnly ? '-1' : 'stack_traces.get_stackid(ctx, 0)';
  const max = o.maxBlockTime !== undefined ? `${o.maxBlockTime}ULL` : '0xffffffffffffffffULL';
  const readPrev = `
    u32 pid = 0, tgid = 0;
    unsigned int flags = 0;
    ${stateField === '__state' ? 'unsigned int' : 'long'} state = 0;
    bpf_probe_read_kernel(&pid, sizeof(pid), &prev->pid);
    bpf_probe_read_kernel(&tgid, sizeof(tgid), &prev->tgid);
    bpf_probe_read_kernel(&flags, sizeof(flags), &prev->flags);
    ${o.state !== undefined ? `bpf_probe_read_kernel(&state, sizeof(state), &prev->${stateField});` : ''}`;
  const head = `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#define MINBLOCK_US ${o.minBlockTime}ULL
#define MAXBLOCK_US ${max}

struct key_t {
    u32 pid;
    u32 tgid;
    int user_stack_id;
    int kernel_stack_id;
    char name[TASK_COMM_LEN];
};

struct off_t {
    u64 ts;
    u32 tgid;
    int user_stack_id;
    int kernel_stack_id;
    char name[TASK_COMM_LEN];
};

BPF_HASH(counts, struct key_t);
BPF_HASH(start, u32, struct off_t);
BPF_STACK_TRACE(stack_traces, ${o.stackStorageSize});

/** Adds the time thread \`pid\` was off CPU (since off->ts) to its stacks' total. */
static void add_offcpu(u32 pid, struct off_t *off, struct key_t *key)
{
    u64 now = bpf_ktime_get_ns();
    if (off->ts > now)
        return;
    u64 delta = (now - off->ts) / 1000;
    if (delta < MINBLOCK_US || delta > MAXBLOCK_US)
        return;
    key->pid = pid;
    counts.increment(*key, delta);
}
`;
  if (kprobes)
    return `${head}
int oncpu(struct pt_regs *ctx, struct task_struct *prev)
{
    ${readPrev}
    if ((${thread}) && (${state})) {
        struct off_t off = {.ts = bpf_ktime_get_ns()};
        start.update(&pid, &off);
    }
    // the task now on CPU: its stacks show where it blocked
    u64 id = bpf_get_current_pid_tgid();
    u32 cur = id;
    struct off_t *off = start.lookup(&cur);
    if (off == 0)
        return 0; // missed the switch out, or filtered
    struct key_t key = {};
    key.tgid = id >> 32;
    key.user_stack_id = ${userStack};
    key.kernel_stack_id = ${kernelStack};
    bpf_get_current_comm(&key.name, sizeof(key.name));
    add_offcpu(cur, off, &key);
    start.delete(&cur);
    return 0;
}
`;
  return `${head}
RAW_TRACEPOINT_PROBE(sched_switch)
{
    // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...)
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    struct task_struct *next = (struct task_struct *)ctx->args[2];
    ${readPrev}
    if ((${thread}) && (${state})) {
        // prev is still current: its stacks show where it blocks
        struct off_t off = {.ts = bpf_ktime_get_ns(), .tgid = tgid};
        off.user_stack_id = ${userStack};
        off.kernel_stack_id = ${kernelStack};
        bpf_get_current_comm(&off.name, sizeof(off.name));
        start.update(&pid, &off);
    }
    u32 npid = 0;
    bpf_probe_read_kernel(&npid, sizeof(npid), &next->pid);
    struct off_t *off = start.lookup(&npid);
    if (off == 0)
        return 0; // missed the switch out, or filtered
    struct key_t key = {};
    key.tgid = off->tgid;
    key.user_stack_id = off->user_stack_id;
    key.kernel_stack_id = off->kernel_stack_id;
    __builtin_memcpy(&key.name, off->name, sizeof(key.name));
    add_offcpu(npid, off, &key);
    start.delete(&npid);
    return 0;
}
`;
}

export default defineTool<Options>({
  name: 'offcputime',
  description: 'Summarize off-CPU time by stack trace',
  examples: `
    tsbcc tool offcputime             # trace off-CPU stack time until Ctrl-C
    tsbcc tool offcputime 5           # trace for 5 seconds only
    tsbcc tool offcputime -f 5        # 5 seconds, and output in folded format
    tsbcc tool offcputime -s 5        # 5 seconds, and show symbol offsets
    tsbcc tool offcputime -m 1000     # trace only events that last more than 1000 usec
    tsbcc tool offcputime -M 10000    # trace only events that last less than 10000 usec
    tsbcc tool offcputime -p 185,175,165 # only trace threads for PID 185,175,165
    tsbcc tool offcputime -t 188,120,134 # only trace threads 188,120,134
    tsbcc tool offcputime -u          # only trace user threads (no kernel)
    tsbcc tool offcputime -k          # only trace kernel threads (no user)
    tsbcc tool offcputime -U          # only show user space stacks (no kernel)
    tsbcc tool offcputime -K          # only show kernel space stacks (no user)`,
  configure(cmd) {
    cmd
      .option('-p, --pid <pids>', 'trace these PIDs only, comma separated list', intList)
      .option('-t, --tid <tids>', 'trace these TIDs only, comma separated list', intList)
      .option('-u, --user-threads-only', 'user threads only (no kernel threads)')
      .option('-k, --kernel-threads-only', 'kernel threads only (no user threads)')
      .option('-U, --user-stacks-only', 'show stacks from user space only (no kernel space stacks)')
      .option('-K, --kernel-stacks-only', 'show stacks from kernel space only (no user space stacks)')
      .option('-d, --delimited', 'insert delimiter between kernel/user stacks')
      .option('-f, --folded', 'output folded format')
      .option('-s, --offset', 'show address offsets')
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
      .option(
        '--state <mask>',
        'filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h',
        nonNegativeInt,
      )
      .argument('[duration]', 'duration of trace, in seconds', positiveInt);
  },
  async run(o, args, s) {
    const groups = [o.pid, o.tid, o.userThreadsOnly, o.kernelThreadsOnly].filter((x) => x !== undefined);
    if (groups.length > 1) throw new InvalidArgumentError('-p, -t, -u and -k are mutually exclusive');
    if (o.userStacksOnly && o.kernelStacksOnly)
      throw new InvalidArgumentError('-U and -K are mutually exclusive');
    if (o.folded && o.offset) throw new InvalidArgumentError('can only use -f or -s');
    if (o.kernelThreadsOnly && o.userStacksOnly)
      throw new InvalidArgumentError("Displaying user stacks for kernel threads doesn't make sense.");
    const kprobes = s.kprobes;
    let attachments: Attachment[] = [rawTracepointProbe('sched_switch')];
    if (kprobes && !s.options.ebpf) {
      attachments = getKprobeFunctions(/^finish_task_switch$|^finish_task_switch\.isra\.\d$/).map((f) => ({
        kind: 'kprobe',
        target: f,
        fn: 'oncpu',
      }));
      if (attachments.length === 0) {
        s.warn('error: 0 functions traced. Exiting.');
        return 4;
      }
    }
    const b = await s.loadFirst([program(o, kprobes, '__state'), program(o, kprobes, 'state')], attachments, {
      skipFailed: kprobes,
    });
    if (!b) return 0;
    const duration = (args[0] as number | undefined) ?? 99999999;
    if (!o.folded) {
      const f = threadFilter(o);
      const stack = o.userStacksOnly ? 'user' : o.kernelStacksOnly ? 'kernel' : 'user + kernel';
      s.print(
        `Tracing off-CPU time (us) of ${f.context} by ${stack} stack${
          duration < 99999999 ? ` for ${duration} secs.` : '... Hit Ctrl-C to end.'
        }`,
      );
    }
    await s.wait(duration < 99999999 ? duration * 1000 : undefined);
    if (!o.folded) s.print();
    const counts = b.table<OffcpuKey, bigint>('counts', { strings: true });
    const st = new StackPrinter(b.table('stack_traces') as StackTraceTable);
    const delimiter = o.delimited === true && !o.kernelStacksOnly && !o.userStacksOnly;
    let missing = 0;
    let noMemory = false;
    for (const [k, v] of byValue(counts.lookupBatch())) {
      for (const [id, shown] of [
        [k.kernel_stack_id, !o.userStacksOnly],
        [k.user_stack_id, !o.kernelStacksOnly],
      ] as const) {
        if (shown && stackIdError(id)) {
          missing++;
          noMemory ||= stackIdNoMemory(id);
        }
      }
      const user = st.addresses(k.user_stack_id);
      const kernel = kprobes
        ? st.addresses(k.kernel_stack_id)
        : trimTracingFrames(st.addresses(k.kernel_stack_id), st);
      const both = k.kernel_stack_id >= 0 && k.user_stack_id >= 0;
      if (o.folded) {
        const line = [k.name];
        if (!o.kernelStacksOnly) {
          if (stackIdError(k.user_stack_id)) line.push('[Missed User Stack]');
          else line.push(...[...user].reverse().map((a) => st.user(a, k.tgid)));
        }
        if (!o.userStacksOnly) {
          if (delimiter && both) line.push('-');
          if (stackIdError(k.kernel_stack_id)) line.push('[Missed Kernel Stack]');
          else line.push(...[...kernel].reverse().map((a) => st.kernel(a)));
        }
        s.print(`${line.join(';')} ${v}`);
        continue;
      }
      if (!o.userStacksOnly) {
        if (stackIdError(k.kernel_stack_id)) s.print('    [Missed Kernel Stack]');
        else for (const a of kernel) s.print(`    ${st.kernel(a, o.offset)}`);
      }
      if (!o.kernelStacksOnly) {
        if (delimiter && both) s.print('    --');
        if (stackIdError(k.user_stack_id)) s.print('    [Missed User Stack]');
        else for (const a of user) s.print(`    ${st.user(a, k.tgid, o.offset)}`);
      }
      s.print(`    ${'-'.padEnd(16)} ${k.name} (${k.pid})`);
      s.print(`        ${v}\n`);
    }
    if (missing > 0)
      s.warn(
        `WARNING: ${missing} stack traces lost and could not be displayed.${
          noMemory ? ' Consider increasing --stack-storage-size.' : ''
        }`,
      );
    return 0;
  },
});
