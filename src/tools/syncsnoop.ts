/**
 * syncsnoop: traces the sync family of syscalls (sync, fsync, fdatasync, msync,
 * sync_file_range, syncfs), one line per call. Kprobes on the syscall functions where the
 * kernel has kprobes (BCC's form), else the syscalls:sys_enter_* tracepoints.
 */
import { getSyscallPrefix } from '../bcc/syscall-prefix.js';
import { sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { defineTool } from './tool.js';

const CALLS = ['sync', 'fsync', 'fdatasync', 'msync', 'sync_file_range', 'syncfs'] as const;

interface SyncEvent {
  comm: string;
  call: number;
  ts: bigint;
}

function program(kprobes: boolean): string {
  const common = `#include <linux/sched.h>

struct sync_event {
    char comm[TASK_COMM_LEN];
    u32 call;
    u64 ts;
};
BPF_PERF_OUTPUT(events);

static int report(void *ctx, u32 call)
{
    struct sync_event ev = {};
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    ev.call = call;
    ev.ts = bpf_ktime_get_ns() / 1000;
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}
`;
  const entries = CALLS.map((c, i) =>
    kprobes
      ? `int on_${c}(struct pt_regs *ctx) { return report(ctx, ${i + 1}); }`
      : `TRACEPOINT_PROBE(syscalls, sys_enter_${c}) { return report(args, ${i + 1}); }`,
  );
  return `${common}\n${entries.join('\n')}\n`;
}

export default defineTool<Record<string, never>>({
  name: 'syncsnoop',
  description: 'Trace sync() family syscalls',
  examples: `
    tsbcc tool syncsnoop          # trace sync(), fsync(), fdatasync(), msync(), sync_file_range(), syncfs()`,
  configure() {
    // no options of its own
  },
  async run(_opts, _args, s) {
    const kprobes = s.kprobes;
    const attachments: Attachment[] = kprobes
      ? CALLS.map((c) => ({ kind: 'kprobe', target: `${getSyscallPrefix()}${c}`, fn: `on_${c}` }))
      : CALLS.map((c) => tracepointProbe('syscalls', `sys_enter_${c}`));
    const b = await s.load(program(kprobes), attachments);
    if (!b) return 0;
    s.perfBuffer<SyncEvent>(b, 'events', (e) => {
      const name = CALLS[e.call - 1] ?? 'N/A';
      s.print(sprintf('%-18.9f %-16s %-16s', Number(e.ts) / 1e6, e.comm, name));
    });
    // the header says the tool is tracing: the perf rings are open by then
    s.print(sprintf('%-18s %-16s %-16s', 'TIME(s)', 'COMM', 'CALL'));
    await s.wait();
    return 0;
  },
});
