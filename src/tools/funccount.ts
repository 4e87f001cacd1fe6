/**
 * funccount: counts calls of functions, tracepoints and USDT probes matching a pattern, per
 * interval or until Ctrl-C. One counting function per matched place, as BCC generates them.
 * Kernel functions need kprobes (without them: one line, exit 2); tracepoints (t:cat:event),
 * user functions (lib:func, uprobes) and USDT probes (u:lib:probe) work on any kernel.
 */
import { InvalidArgumentError } from '../errors.js';
import type { UsdtContext } from '../compiler/usdt.js';
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
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number;
  interval?: number;
  duration?: number;
  timestamp?: boolean;
  regexp?: boolean;
  debug?: boolean;
  cpu?: number;
}

function program(o: Options, n: number): string {
  const filters = [
    o.pid !== undefined ? `if ((bpf_get_current_pid_tgid() >> 32) != ${o.pid}) return 0;` : '',
    o.cpu !== undefined ? `if (bpf_get_smp_processor_id() != ${o.cpu}) return 0;` : '',
  ]
    .filter(Boolean)
    .join('\n    ');
  const fns = Array.from(
    { length: n },
    (_, i) => `
int trace_count_${i}(void *ctx)
{
    ${filters}
    counts.atomic_increment(${i});
    return 0;
}`,
  );
  return `#include <uapi/linux/ptrace.h>

BPF_ARRAY(counts, u64, ${Math.max(n, 1)});
${fns.join('\n')}
`;
}

function attachments(p: ProbePattern, targets: ProbeTarget[], pid: number | undefined): Attachment[] {
  return targets.flatMap((t, i): Attachment[] => {
    const fn = `trace_count_${i}`;
    if (p.type === 't') return [{ kind: 'tracepoint', target: t.name, fn }];
    if (p.type === 'u') return []; // attached through the USDT contexts
    if (isKernelFunction(p)) return [{ kind: 'kprobe', target: t.name, fn }];
    return [
      {
        kind: 'uprobe',
        target: p.library,
        ...(t.address !== undefined ? { address: t.address } : { sym: t.name }),
        ...(pid !== undefined ? { pid } : {}),
        fn,
      },
    ];
  });
}

export default defineTool<Options>({
  name: 'funccount',
  description: 'Count functions, tracepoints, and USDT probes',
  examples: `
    tsbcc tool funccount 'vfs_*'             # count kernel fns starting with "vfs"
    tsbcc tool funccount -r '^vfs.*'         # same as above, using regular expressions
    tsbcc tool funccount -Ti 5 'vfs_*'       # output every 5 seconds, with timestamps
    tsbcc tool funccount -d 10 'vfs_*'       # trace for 10 seconds only
    tsbcc tool funccount -p 185 'vfs_*'      # count vfs calls for PID 181 only
    tsbcc tool funccount t:sched:sched_fork  # count calls to the sched_fork tracepoint
    tsbcc tool funccount -p 185 u:node:gc*   # count all GC USDT probes in node, PID 185
    tsbcc tool funccount c:malloc            # count all malloc() calls in libc
    tsbcc tool funccount go:os.*             # count all "os.*" calls in libgo
    tsbcc tool funccount -p 185 go:os.*      # count all "os.*" calls in libgo, PID 185
    tsbcc tool funccount ./test:read*        # count "read*" calls in the ./test binary
    tsbcc tool funccount -c 1 'vfs_*'        # count vfs calls on CPU 1 only`,
  configure(cmd) {
    cmd
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-i, --interval <seconds>', 'summary interval, seconds', positiveInt)
      .option('-d, --duration <seconds>', 'total duration of trace, seconds', positiveInt)
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.')
      .option('-D, --debug', 'print BPF program before starting (for debugging purposes)')
      .option('-c, --cpu <cpu>', 'trace this CPU only', intArg)
      .argument('<pattern>', 'search expression for events');
  },
  async run(o, args, s) {
    const text = String(args[0]);
    const p = parseProbePattern(text, o.regexp === true);
    const targets = s.options.ebpf && isKernelFunction(p) ? [] : resolveTargets(p, 'funccount', s.kprobes);
    if (targets.length === 0 && !s.options.ebpf)
      throw new InvalidArgumentError(`No functions matched by pattern ${p.re.source}`);
    if (targets.length > 1000)
      throw new InvalidArgumentError(`maximum of 1000 probes allowed, attempted ${targets.length}`);
    const prog = program(o, targets.length);
    if (o.debug) s.print(prog);
    const usdt: UsdtContext[] =
      p.type === 'u'
        ? [
            {
              path: p.library,
              probes: targets.map((t, i) => ({ probe: t.name, fnName: `trace_count_${i}` })),
            },
          ]
        : [];
    const b = await s.load(prog, attachments(p, targets, o.pid), {
      ...(usdt.length ? { usdt, ...(o.pid !== undefined ? { usdtPid: o.pid } : {}) } : {}),
    });
    if (!b) return 0;
    const counts = b.table<number, bigint>('counts');
    s.print(`Tracing ${targets.length} functions for "${text}"... Hit Ctrl-C to end.`);
    const interval = o.interval ?? o.duration ?? 99999999;
    // The counters only grow: each interval prints the difference, so no call between a read
    // and a reset is lost.
    const seen = new Map<number, bigint>();
    await s.everyInterval(
      { interval, ...(o.duration !== undefined ? { duration: o.duration } : {}) },
      (last) => {
        s.print();
        if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
        s.print(sprintf('%-36s %8s', 'FUNC', 'COUNT'));
        const now = counts.lookupBatch().map(([i, v]): [number, bigint] => [i, v - (seen.get(i) ?? 0n)]);
        for (const [i, v] of now) seen.set(i, (seen.get(i) ?? 0n) + v);
        for (const [i, v] of byValue(now))
          if (v > 0n) s.print(sprintf('%-36s %8d', targets[i]?.name ?? String(i), v));
        if (last) s.print('Detaching...');
      },
    );
    return 0;
  },
});
