/**
 * stacksnoop: prints the kernel stack trace of every call of a kernel function (a kprobe, where
 * the kernel has kprobes) or, as an extension for kernels without them, of every hit of a
 * tracepoint given as `t:category:event`. A kernel function without kprobes is one line and
 * exit 2.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import { ksymname } from '../tracing/ksyms.js';
import type { StackTraceTable } from '../maps/stack-trace.js';
import { intArg } from './args.js';
import { sprintf } from './format.js';
import { parseProbePattern, resolveTargets, type ProbeTarget } from './probe-pattern.js';
import type { Attachment } from './session.js';
import { StackPrinter } from './stacks.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number;
  offset?: boolean;
  verbose?: boolean;
}

interface StackEvent {
  stack_id: bigint;
  pid: number;
  comm: string;
}

function program(o: Options): string {
  return `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

struct stack_event {
    u64 stack_id;
    u32 pid;
    char comm[TASK_COMM_LEN];
};

BPF_STACK_TRACE(stack_traces, 128);
BPF_PERF_OUTPUT(events);

int trace_stack(void *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    ${o.pid !== undefined ? `if (pid != ${o.pid}) return 0;` : ''}
    struct stack_event ev = {};
    ev.stack_id = stack_traces.get_stackid(ctx, 0);
    ev.pid = pid;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}
`;
}

function resolveKernelFunction(fn: string, kprobes: boolean): ProbeTarget[] {
  if (!kprobes)
    throw new NotSupportedError(
      'stacksnoop of kernel functions (kprobes)',
      'CONFIG_KPROBE_EVENTS',
      'tracepoints (t:category:event) work here',
    );
  return ksymname(fn) === -1n ? [] : [{ name: fn }];
}

export default defineTool<Options>({
  name: 'stacksnoop',
  description: 'Trace and print kernel stack traces for a kernel function',
  examples: `
    tsbcc tool stacksnoop ext4_sync_fs           # print kernel stack traces for ext4_sync_fs
    tsbcc tool stacksnoop -s ext4_sync_fs        # ... also show symbol offsets
    tsbcc tool stacksnoop -v ext4_sync_fs        # ... show extra columns
    tsbcc tool stacksnoop -p 185 ext4_sync_fs    # ... only when PID 185 is on-CPU
    tsbcc tool stacksnoop t:syscalls:sys_enter_sync   # ... of a tracepoint (no kprobes needed)`,
  configure(cmd) {
    cmd
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-s, --offset', 'show address offsets')
      .option('-v, --verbose', 'print more fields (and say on stderr what was attached)')
      .argument('<function>', 'kernel function name, or t:category:event');
  },
  async run(o, args, s) {
    const fn = String(args[0]);
    const p = parseProbePattern(fn, true);
    if (p.type === 'u' || p.library !== '')
      throw new InvalidArgumentError(`stacksnoop traces kernel functions or tracepoints, not ${fn}`);
    // a kernel function is probed by name, as BCC's attach_kprobe(event=...) does (kprobes go
    // on functions ftrace does not list, e.g. the __x64_sys_* wrappers); tracepoints are looked up
    const targets = s.options.ebpf
      ? []
      : p.type === 't'
        ? resolveTargets({ ...p, re: new RegExp(`^${fn.slice(2)}$`) }, 'stacksnoop', false)
        : resolveKernelFunction(fn, s.kprobes);
    if (targets.length === 0 && !s.options.ebpf) {
      s.print(`Function "${fn}" not found. Exiting.`);
      return 1;
    }
    const attachments: Attachment[] = targets.map((t) => ({
      kind: p.type === 't' ? 'tracepoint' : 'kprobe',
      target: t.name,
      fn: 'trace_stack',
    }));
    const b = await s.load(program(o), attachments);
    if (!b) return 0;
    const traces = b.table('stack_traces') as StackTraceTable;
    const start = performance.now();
    s.perfBuffer<StackEvent>(b, 'events', (e, cpu) => {
      const ts = (performance.now() - start) / 1000;
      s.print(
        o.verbose
          ? sprintf('%-18.9f %-12.12s %-6d %-3d %s', ts, e.comm, e.pid, cpu, fn)
          : sprintf('%-18.9f %s', ts, fn),
      );
      const st = new StackPrinter(traces);
      for (const a of st.addresses(Number(BigInt.asIntN(32, e.stack_id))))
        s.print(`\t${st.kernel(a, o.offset)}`);
      s.print();
    });
    // the header says the tool is tracing: the perf rings are open by then
    s.print(
      o.verbose
        ? sprintf('%-18s %-12s %-6s %-3s %s', 'TIME(s)', 'COMM', 'PID', 'CPU', 'FUNCTION')
        : sprintf('%-18s %s', 'TIME(s)', 'FUNCTION'),
    );
    await s.wait();
    return 0;
  },
});
