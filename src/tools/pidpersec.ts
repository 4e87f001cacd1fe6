/**
 * pidpersec: new processes (forks) per second. A kprobe on sched_fork where the kernel has
 * kprobes (BCC's form), else the sched:sched_process_fork tracepoint.
 */
import { clockTime, sprintf } from './format.js';
import { tracepointProbe } from './session.js';
import { defineTool } from './tool.js';

const FORKS = 1;

function program(kprobes: boolean): string {
  const hook = kprobes
    ? 'int on_fork(struct pt_regs *ctx) { return count(); }'
    : 'TRACEPOINT_PROBE(sched, sched_process_fork) { return count(); }';
  return `#include <uapi/linux/ptrace.h>

BPF_ARRAY(stats, u64, 2);

static int count(void)
{
    stats.atomic_increment(${FORKS});
    return 0;
}

${hook}
`;
}

export default defineTool<Record<string, never>>({
  name: 'pidpersec',
  description: 'Count new processes (via fork) per second',
  examples: `
    tsbcc tool pidpersec           # new processes per second, until Ctrl-C`,
  configure() {
    // no options of its own
  },
  async run(_o, _args, s) {
    const kprobes = s.kprobes;
    const b = await s.load(
      program(kprobes),
      kprobes
        ? [{ kind: 'kprobe', target: 'sched_fork', fn: 'on_fork' }]
        : [tracepointProbe('sched', 'sched_process_fork')],
    );
    if (!b) return 0;
    const stats = b.table<number, bigint>('stats');
    s.print('Tracing... Ctrl-C to end.');
    // The counter only grows: each second prints the difference, so no fork between a read
    // and a reset is lost.
    let seen = 0n;
    while ((await s.wait(1000)) === 'timeout') {
      const now = stats.get(FORKS) ?? 0n;
      s.print(sprintf('%s: PIDs/sec: %d', clockTime(), now - seen));
      seen = now;
    }
    return 0;
  },
});
