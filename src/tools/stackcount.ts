/**
 * stackcount: counts the stack traces (kernel and user) that lead to functions, tracepoints or
 * USDT probes matching a pattern. Kernel functions need kprobes (without them: one line, exit
 * 2); tracepoints (t:cat:event), user functions (lib:func) and USDT probes work on any kernel.
 * -f prints folded stacks for flame graphs.
 */
import { InvalidArgumentError } from '../errors.js';
import type { UsdtContext } from '../compiler/usdt.js';
import type { StackTraceTable } from '../maps/stack-trace.js';
import { intArg, positiveInt } from './args.js';
import { clockTime, sprintf } from './format.js';
import {
  isKernelFunction,
  parseProbePattern,
  resolveTargets,
  type ProbePattern,
  type ProbeTarget,
} from './probe-pattern.js';
import type { Attachment } from './session.js';
import { StackPrinter } from './stacks.js';
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number;
  cpu?: number;
  interval?: number;
  duration?: number;
  timestamp?: boolean;
  regexp?: boolean;
  offset?: boolean;
  perpid?: boolean;
  kernelStacksOnly?: boolean;
  userStacksOnly?: boolean;
  verbose?: boolean;
  delimited?: boolean;
  folded?: boolean;
  debug?: boolean;
}

interface StackKey {
  tgid: number;
  kernel_stack_id: number;
  user_stack_id: number;
  name: string;
}

const ALL = 0xffffffff;

function program(o: Options, p: ProbePattern, fns: string[]): string {
  const kernelProbe = p.type === 't' || isKernelFunction(p);
  const filters = [
    kernelProbe && o.pid !== undefined ? `if ((bpf_get_current_pid_tgid() >> 32) != ${o.pid}) return 0;` : '',
    kernelProbe && o.cpu !== undefined ? `if (bpf_get_smp_processor_id() != ${o.cpu}) return 0;` : '',
  ]
    .filter(Boolean)
    .join('\n    ');
  const body = (fn: string): string => `
int ${fn}(void *ctx)
{
    ${filters}
    struct key_t key = {};
    key.tgid = ${o.perpid ? 'bpf_get_current_pid_tgid() >> 32' : String(ALL)};
    ${o.perpid ? 'bpf_get_current_comm(&key.name, sizeof(key.name));' : ''}
    key.user_stack_id = ${o.kernelStacksOnly ? '-1' : 'stack_traces.get_stackid(ctx, BPF_F_USER_STACK)'};
    key.kernel_stack_id = ${o.userStacksOnly ? '-1' : 'stack_traces.get_stackid(ctx, 0)'};
    counts.atomic_increment(key);
    return 0;
}`;
  return `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

struct key_t {
    // the process, not the thread, so that threads do not split a stack
    u32 tgid;
    int kernel_stack_id;
    int user_stack_id;
    char name[TASK_COMM_LEN];
};

BPF_HASH(counts, struct key_t);
BPF_STACK_TRACE(stack_traces, 1024);
${fns.map(body).join('\n')}
`;
}

function attachments(p: ProbePattern, targets: ProbeTarget[], pid: number | undefined): Attachment[] {
  if (p.type === 'u') return [];
  return targets.map((t): Attachment => {
    if (p.type === 't') return { kind: 'tracepoint', target: t.name, fn: 'trace_count' };
    if (isKernelFunction(p)) return { kind: 'kprobe', target: t.name, fn: 'trace_count' };
    return {
      kind: 'uprobe',
      target: p.library,
      ...(t.address !== undefined ? { address: t.address } : { sym: t.name }),
      ...(pid !== undefined ? { pid } : {}),
      fn: 'trace_count',
    };
  });
}

export default defineTool<Options>({
  name: 'stackcount',
  description: 'Count events and their stack traces',
  examples: `
    tsbcc tool stackcount submit_bio         # count kernel stack traces for submit_bio
    tsbcc tool stackcount -d ip_output       # include a user/kernel stack delimiter
    tsbcc tool stackcount -s ip_output       # show symbol offsets
    tsbcc tool stackcount -sv ip_output      # show offsets and raw addresses (verbose)
    tsbcc tool stackcount 'tcp_send*'        # count stacks for funcs matching tcp_send*
    tsbcc tool stackcount -r '^tcp_send.*'   # same as above, using regular expressions
    tsbcc tool stackcount -Ti 5 ip_output    # output every 5 seconds, with timestamps
    tsbcc tool stackcount -p 185 ip_output   # count ip_output stacks for PID 185 only
    tsbcc tool stackcount -c 1 put_prev_entity   # count put_prev_entity stacks for CPU 1 only
    tsbcc tool stackcount -p 185 c:malloc    # count stacks for malloc in PID 185
    tsbcc tool stackcount t:sched:sched_fork # count stacks for sched_fork tracepoint
    tsbcc tool stackcount -p 185 u:node:*    # count stacks for all USDT probes in node
    tsbcc tool stackcount -K t:sched:sched_switch   # kernel stacks only
    tsbcc tool stackcount -U t:sched:sched_switch   # user stacks only`,
  configure(cmd) {
    cmd
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-c, --cpu <cpu>', 'trace this CPU only', intArg)
      .option('-i, --interval <seconds>', 'summary interval, seconds', positiveInt)
      .option('-D, --duration <seconds>', 'total duration of trace, seconds', positiveInt)
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.')
      .option('-s, --offset', 'show address offsets')
      .option('-P, --perpid', 'display stacks separately for each process')
      .option('-K, --kernel-stacks-only', 'kernel stack only')
      .option('-U, --user-stacks-only', 'user stack only')
      .option('-v, --verbose', 'show raw addresses (and say on stderr what was attached)')
      .option('-d, --delimited', 'insert delimiter between kernel/user stacks')
      .option('-f, --folded', 'output folded format')
      .option('--debug', 'print BPF program before starting (for debugging purposes)')
      .argument('<pattern>', 'search expression for events');
  },
  async run(o, args, s) {
    if (o.kernelStacksOnly && o.userStacksOnly)
      throw new InvalidArgumentError(
        '-K and -U are mutually exclusive. If you want both stacks, that is the default.',
      );
    if (o.pid !== undefined && o.pid > 0) o.perpid = true;
    const text = String(args[0]);
    const p = parseProbePattern(text, o.regexp === true);
    const targets = s.options.ebpf && isKernelFunction(p) ? [] : resolveTargets(p, 'stackcount', s.kprobes);
    if (targets.length === 0 && !s.options.ebpf)
      throw new InvalidArgumentError(`No functions matched by pattern ${p.re.source}`);
    const fns = p.type === 'u' ? targets.map((_, i) => `trace_count_${i}`) : ['trace_count'];
    const prog = program(o, p, fns);
    if (o.debug) s.print(prog);
    const usdt: UsdtContext[] =
      p.type === 'u'
        ? [{ path: p.library, probes: targets.map((t, i) => ({ probe: t.name, fnName: fns[i] ?? '' })) }]
        : [];
    const b = await s.load(prog, attachments(p, targets, o.pid), {
      skipFailed: isKernelFunction(p),
      ...(usdt.length ? { usdt, ...(o.pid !== undefined ? { usdtPid: o.pid } : {}) } : {}),
    });
    if (!b) return 0;
    if (!o.folded) s.print(`Tracing ${targets.length} functions for "${text}"... Hit Ctrl-C to end.`);
    const counts = b.table<StackKey, bigint>('counts', { strings: true });
    const traces = b.table('stack_traces') as StackTraceTable;
    const delimiter = o.delimited === true && !o.kernelStacksOnly && !o.userStacksOnly;
    const interval = o.interval ?? o.duration ?? 99999999;
    await s.everyInterval(
      { interval, ...(o.duration !== undefined ? { duration: o.duration } : {}) },
      (last) => {
        if (!o.folded) s.print();
        if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
        const st = new StackPrinter(traces);
        for (const [k, v] of byValue(counts.lookupAndDeleteBatch())) {
          const user = st.addresses(k.user_stack_id);
          const kernel = st.addresses(k.kernel_stack_id);
          if (o.folded) {
            const line = [
              k.name,
              ...user.reverse().map((a) => st.user(a, k.tgid)),
              ...(delimiter ? ['-'] : []),
              ...kernel.reverse().map((a) => st.kernel(a)),
            ];
            s.print(`${line.join(';')} ${v}`);
            continue;
          }
          const frame = (a: bigint, name: string): string =>
            `  ${o.verbose ? sprintf('%-16x ', a) : ''}${name}`;
          for (const a of kernel) s.print(frame(a, st.kernel(a, o.offset)));
          if (delimiter) s.print('    --');
          for (const a of user) s.print(frame(a, st.user(a, k.tgid, o.offset)));
          if (o.pid === undefined && k.tgid !== ALL) s.print(`    ${k.name} [${k.tgid}]`);
          s.print(`    ${v}\n`);
        }
        if (last && !o.folded) s.print('Detaching...');
      },
    );
    return 0;
  },
});
