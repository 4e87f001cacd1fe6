/**
 * funclatency: times functions (entry to return) and prints the latency as a log2 histogram,
 * with the average, total and count. Kernel functions take kprobes and kretprobes (without
 * kprobes: one line, exit 2); user functions (lib:func) take uprobes and uretprobes on any
 * kernel.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import { formatLog2Hist } from '../maps/histogram.js';
import { resolveBinary } from '../tracing/attach.js';
import { getUserFunctions } from '../tracing/attach-regex.js';
import { getKprobeFunctions } from '../tracing/kprobe-functions.js';
import { ksym } from '../tracing/ksyms.js';
import { usym } from '../tracing/usyms.js';
import { intArg, positiveInt } from './args.js';
import { clockTime, sprintf } from './format.js';
import { patternRegExp } from './probe-pattern.js';
import type { Attachment } from './session.js';
import { drain } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number;
  interval?: number;
  duration?: number;
  timestamp?: boolean;
  microseconds?: boolean;
  milliseconds?: boolean;
  function?: boolean;
  regexp?: boolean;
  verbose?: boolean;
  level?: number;
}

/**
 * The entry and return halves for nested or recursive calls (-l N): each thread keeps a stack
 * of the outermost N calls' entry times and addresses, and its depth, also past N. A return
 * pops only when it leaves one of the outermost N levels, so deeper calls are not recorded and
 * never pair with an outer call's entry (BCC's stack stops pushing past N but still pops, so
 * there the innermost returns take the outer levels' entries).
 */
function levels(n: number, needKey: boolean): { decl: string; entry: string; ret: string } {
  return {
    decl: `#define LEVELS ${n}
struct func_stack {
    u32 depth;
    u64 ip[LEVELS];
    u64 ts[LEVELS];
};
BPF_HASH(func_stack, u32, struct func_stack);`,
    entry: `struct func_stack *st = func_stack.lookup(&pid);
    if (st == 0) {
        struct func_stack fresh = {};
        func_stack.update(&pid, &fresh);
        st = func_stack.lookup(&pid);
        if (st == 0)
            return 0;
    }
    u32 d = st->depth;
    if (d < LEVELS) {
        st->ip[d] = PT_REGS_IP(ctx);
        st->ts[d] = ts;
    }
    st->depth = d + 1;`,
    ret: `struct func_stack *st = func_stack.lookup(&pid);
    if (st == 0 || st->depth == 0)
        return 0; // missed the entry
    u32 d = st->depth - 1;
    // opaque to clang: else it tests depth <= LEVELS instead of d < LEVELS, and 6.1's verifier
    // cannot carry that bound over to d = depth - 1 ("R8 unbounded memory access")
    asm volatile("" : "+r"(d));
    st->depth = d;
    u64 delta = 0, fip = 0;
    int outer = d < LEVELS;
    if (d < LEVELS) {
        delta = bpf_ktime_get_ns() - st->ts[d];
        fip = st->ip[d];
    }
    if (d == 0)
        func_stack.delete(&pid);
    if (!outer)
        return 0; // deeper than the outermost levels
    ${needKey ? '' : '(void)fip;'}`,
  };
}

function program(o: Options, needKey: boolean, library: boolean): string {
  const factor = o.milliseconds ? 'delta /= 1000000;' : o.microseconds ? 'delta /= 1000;' : '';
  const filter = o.pid !== undefined ? `if (tgid != ${o.pid}) return 0;` : '';
  const nested = o.level !== undefined && o.level > 1 ? levels(o.level, needKey) : undefined;
  const keyed = `struct hist_key key = {};
        key.key.ip = fip;
        key.key.pid = ${library ? 'tgid' : '(u64)-1'};
        key.slot = bpf_log2l(delta);
        dist.atomic_increment(key);`;
  const unnested = `u64 *ipp = ipaddr.lookup(&pid);
    if (ipp) {
        u64 fip = *ipp;
        ipaddr.delete(&pid);
        ${keyed}
    }`;
  const record = needKey ? (nested ? keyed : unnested) : 'dist.atomic_increment(bpf_log2l(delta));';
  return `#include <uapi/linux/ptrace.h>

struct ip_pid {
    u64 ip;
    u64 pid;
};

struct hist_key {
    struct ip_pid key;
    u64 slot;
};

BPF_ARRAY(avg, u64, 2);
${nested ? nested.decl : 'BPF_HASH(start, u32);'}
${needKey ? `${nested ? '' : 'BPF_HASH(ipaddr, u32);\n'}BPF_HISTOGRAM(dist, struct hist_key);` : 'BPF_HISTOGRAM(dist);'}

int trace_func_entry(struct pt_regs *ctx)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id;
    u32 tgid = id >> 32;
    ${filter}
    u64 ts = bpf_ktime_get_ns();
    ${
      nested
        ? nested.entry
        : `start.update(&pid, &ts);
    ${needKey ? "// the return probe sees the return address: keep the function's\n    u64 ip = PT_REGS_IP(ctx);\n    ipaddr.update(&pid, &ip);" : ''}`
    }
    return 0;
}

int trace_func_return(struct pt_regs *ctx)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id;
    u32 tgid = id >> 32;
    ${
      nested
        ? nested.ret
        : `u64 *tsp = start.lookup(&pid);
    if (tsp == 0)
        return 0; // missed the entry
    u64 delta = bpf_ktime_get_ns() - *tsp;
    start.delete(&pid);`
    }
    avg.atomic_increment(0, delta);
    avg.atomic_increment(1);
    ${factor}
    ${record}
    return 0;
}
`;
}

export default defineTool<Options>({
  name: 'funclatency',
  description: 'Time functions and print latency as a histogram',
  examples: `
    tsbcc tool funclatency do_sys_open       # time the do_sys_open() kernel function
    tsbcc tool funclatency c:read            # time the read() C library function
    tsbcc tool funclatency -u vfs_read       # time vfs_read(), in microseconds
    tsbcc tool funclatency -m do_nanosleep   # time do_nanosleep(), in milliseconds
    tsbcc tool funclatency -i 2 -d 10 c:open # output every 2 seconds, for duration 10s
    tsbcc tool funclatency -mTi 5 vfs_read   # output every 5 seconds, with timestamps
    tsbcc tool funclatency -p 181 vfs_read   # time process 181 only
    tsbcc tool funclatency 'vfs_fstat*'      # time both vfs_fstat() and vfs_fstatat()
    tsbcc tool funclatency 'c:*printf'       # time the *printf family of functions
    tsbcc tool funclatency -F 'vfs_r*'       # show one histogram per matched function
    tsbcc tool funclatency -l 3 c:qsort      # also time the outermost 3 levels of nested calls`,
  configure(cmd) {
    cmd
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-i, --interval <seconds>', 'summary interval, in seconds', positiveInt)
      .option('-d, --duration <seconds>', 'total duration of trace, in seconds', positiveInt)
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-u, --microseconds', 'microsecond histogram')
      .option('-m, --milliseconds', 'millisecond histogram')
      .option('-F, --function', 'show a separate histogram per function')
      .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.')
      .option('-v, --verbose', 'print the BPF program, and say on stderr what was attached')
      .option('-l, --level <n>', 'set the level of nested or recursive functions', positiveInt)
      .argument('<pattern>', 'search expression for functions');
  },
  async run(o, args, s) {
    const text = String(args[0]);
    const parts = text.split(':');
    if (parts.length > 2) throw new InvalidArgumentError(`unrecognized pattern format '${text}'`);
    let library: string | undefined;
    if (parts.length === 2) {
      try {
        library = resolveBinary(parts[0] ?? '');
      } catch {
        throw new InvalidArgumentError(`can't resolve library ${parts[0]}`);
      }
    }
    const re = patternRegExp(parts[parts.length - 1] ?? '', o.regexp === true);
    const needKey = o.function === true || (library !== undefined && o.pid === undefined);
    const prog = program(o, needKey, library !== undefined);
    if (o.verbose && !s.options.ebpf) s.print(prog);
    let attachments: Attachment[] = [];
    if (!s.options.ebpf) {
      if (library !== undefined) {
        const lib = library;
        const seen = new Set<string>();
        attachments = getUserFunctions(lib, re)
          .filter((f) => re.test(f.name) && !seen.has(f.name) && seen.add(f.name))
          .flatMap((f): Attachment[] =>
            (['uprobe', 'uretprobe'] as const).map((kind) => ({
              kind,
              target: lib,
              address: f.address,
              ...(o.pid !== undefined ? { pid: o.pid } : {}),
              fn: kind === 'uprobe' ? 'trace_func_entry' : 'trace_func_return',
            })),
          );
      } else {
        if (!s.kprobes)
          throw new NotSupportedError(
            'funclatency of kernel functions (kprobes)',
            'CONFIG_KPROBE_EVENTS',
            'user functions (lib:func) work here',
          );
        attachments = getKprobeFunctions(re).flatMap((f): Attachment[] => [
          { kind: 'kprobe', target: f, fn: 'trace_func_entry' },
          { kind: 'kretprobe', target: f, fn: 'trace_func_return' },
        ]);
      }
      if (attachments.length === 0) {
        s.print(`0 functions matched by "${text}". Exiting.`);
        return 1;
      }
    }
    const b = await s.load(prog, attachments, { skipFailed: library === undefined });
    if (!b) return 0;
    s.print(`Tracing ${attachments.length / 2} functions for "${text}"... Hit Ctrl-C to end.`);
    const label = o.milliseconds ? 'msecs' : o.microseconds ? 'usecs' : 'nsecs';
    const dist = b.table('dist');
    const avg = b.table<number, bigint>('avg');
    const section = (v: unknown): string => {
      const [ip, pid] = String(v)
        .split('/')
        .map((x) => BigInt(x));
      if (library === undefined || ip === undefined || pid === undefined) return ksym(ip ?? 0n);
      return `${usym(ip, Number(pid))} [${pid}]`;
    };
    const interval = o.interval ?? o.duration ?? 99999999;
    await s.everyInterval(
      { interval, ...(o.duration !== undefined ? { duration: o.duration } : {}) },
      (last) => {
        s.print();
        if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
        const entries = drain(dist);
        s.write(
          needKey
            ? formatLog2Hist(entries, {
                valType: label,
                sectionHeader: 'Function',
                bucketFn: (k) => {
                  const key = k as { ip: bigint; pid: bigint };
                  return `${key.ip}/${key.pid}`;
                },
                sectionPrintFn: section,
              })
            : formatLog2Hist(entries, { valType: label }),
        );
        const [total, count] = [avg.get(0) ?? 0n, avg.get(1) ?? 0n];
        avg.clear();
        if (count > 0n) {
          const scaled =
            label === 'msecs' ? Number(total) / 1e6 : label === 'usecs' ? Number(total) / 1e3 : Number(total);
          s.print(
            `\navg = ${Math.trunc(scaled / Number(count))} ${label}, total: ${Math.trunc(scaled)} ${label}, count: ${count}\n`,
          );
        }
        if (last) s.print('Detaching...');
      },
    );
    return 0;
  },
});
