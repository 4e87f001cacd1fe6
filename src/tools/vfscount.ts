/**
 * vfscount: counts calls of every kernel function named vfs_*, by function. It needs kprobes
 * (no tracepoint names kernel functions); without them it says so in one line and exits 2 —
 * vfsstat counts the main VFS operations from syscall tracepoints instead.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import { getKprobeFunctions } from '../tracing/kprobe-functions.js';
import { ksym } from '../tracing/ksyms.js';
import { positiveInt } from './args.js';
import { sprintf } from './format.js';
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

const PROGRAM = `#include <uapi/linux/ptrace.h>

struct key_t {
    u64 ip;
};

BPF_HASH(counts, struct key_t, u64, 256);

int count_call(struct pt_regs *ctx)
{
    struct key_t key = {.ip = PT_REGS_IP(ctx)};
    counts.atomic_increment(key);
    return 0;
}
`;

export default defineTool<Record<string, never>>({
  name: 'vfscount',
  description: 'Count VFS calls ("vfs_*")',
  examples: `
    tsbcc tool vfscount            # count VFS calls until Ctrl-C
    tsbcc tool vfscount 10         # count VFS calls for 10 seconds`,
  configure(cmd) {
    cmd.argument('[time]', 'seconds to trace (default: until Ctrl-C)', positiveInt);
  },
  async run(_o, args, s) {
    if (!s.options.ebpf && !s.kprobes)
      throw new NotSupportedError(
        'vfscount (kprobes on vfs_* functions)',
        'CONFIG_KPROBE_EVENTS',
        'no tracepoint names kernel functions; `tsbcc tool vfsstat` counts VFS operations from syscall tracepoints',
      );
    const fns = s.options.ebpf ? [] : getKprobeFunctions(/vfs_.*/);
    if (!s.options.ebpf && fns.length === 0) throw new InvalidArgumentError('no kprobe-able vfs_* function');
    const b = await s.load(
      PROGRAM,
      fns.map((f) => ({ kind: 'kprobe', target: f, fn: 'count_call' })),
      { skipFailed: true },
    );
    if (!b) return 0;
    s.print('Tracing... Ctrl-C to end.');
    const time = args[0] as number | undefined;
    await s.wait(time !== undefined ? time * 1000 : undefined);
    s.print();
    s.print(sprintf('%-16s %-26s %8s', 'ADDR', 'FUNC', 'COUNT'));
    const counts = b.table<{ ip: bigint }, bigint>('counts');
    for (const [k, v] of byValue(counts.lookupBatch()))
      s.print(sprintf('%-16x %-26s %8d', k.ip, ksym(k.ip), v));
    return 0;
  },
});
