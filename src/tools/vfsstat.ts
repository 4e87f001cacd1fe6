/**
 * vfsstat: per-second counts of VFS calls (read, write, fsync, open, create, unlink, mkdir,
 * rmdir). Kprobes on the vfs_* functions where the kernel has kprobes (BCC's form). Without
 * kprobes the syscalls that lead to them are counted instead, from one raw tracepoint on
 * sys_enter (and sys_exit for opens, counted when they succeed, as vfs_open runs only for a
 * file that was found): read/readv/pread64/preadv/preadv2, write/writev/pwrite64/pwritev/
 * pwritev2, fsync/fdatasync, open/openat/openat2, creat/mknod/mknodat, unlink/unlinkat,
 * mkdir/mkdirat, rmdir/unlinkat(AT_REMOVEDIR). Reads a kernel makes itself (kernel_read) are
 * seen only by the kprobe form.
 */
import type { Table } from '../maps/table.js';
import { addIntervalArguments, intArg } from './args.js';
import { clockTime, sprintf } from './format.js';
import { rawTracepointProbe, type Attachment } from './session.js';
import { defineTool } from './tool.js';

interface Options {
  pid?: number;
}

const STATS = ['READ', 'WRITE', 'FSYNC', 'OPEN', 'CREATE', 'UNLINK', 'MKDIR', 'RMDIR'] as const;
const KPROBES = [
  'vfs_read',
  'vfs_write',
  'vfs_fsync_range',
  'vfs_open',
  'vfs_create',
  'vfs_unlink',
  'vfs_mkdir',
  'vfs_rmdir',
] as const;

/** x86_64 syscall numbers -> stat index (1-based), for the sys_enter raw tracepoint. */
const ENTER: Record<number, number> = {
  0: 1, // read
  17: 1, // pread64
  19: 1, // readv
  295: 1, // preadv
  327: 1, // preadv2
  1: 2, // write
  18: 2, // pwrite64
  20: 2, // writev
  296: 2, // pwritev
  328: 2, // pwritev2
  74: 3, // fsync
  75: 3, // fdatasync
  85: 5, // creat
  133: 5, // mknod
  259: 5, // mknodat
  87: 6, // unlink
  83: 7, // mkdir
  258: 7, // mkdirat
  84: 8, // rmdir
};
const SYS_UNLINKAT = 263;
const AT_REMOVEDIR = 0x200;
/** open, openat, openat2: counted on exit when they succeed. */
const OPENS = [2, 257, 437];

function program(o: Options, kprobes: boolean): string {
  const filter = o.pid !== undefined ? `if ((bpf_get_current_pid_tgid() >> 32) != ${o.pid}) return;` : '';
  const head = `#include <uapi/linux/ptrace.h>

BPF_ARRAY(stats, u64, ${STATS.length + 1});

static void count(int stat)
{
    ${filter}
    stats.atomic_increment(stat);
}
`;
  if (kprobes)
    return `${head}\n${KPROBES.map((f, i) => `int on_${f}(struct pt_regs *ctx) { count(${i + 1}); return 0; }`).join('\n')}\n`;
  const cases = new Map<number, number[]>();
  for (const [nr, stat] of Object.entries(ENTER)) cases.set(stat, [...(cases.get(stat) ?? []), Number(nr)]);
  const enterCases = [...cases]
    .map(
      ([stat, nrs]) =>
        `${nrs.map((n) => `    case ${n}:`).join('\n')}\n        count(${stat});\n        break;`,
    )
    .join('\n');
  return `${head}
RAW_TRACEPOINT_PROBE(sys_enter)
{
    // TP_PROTO(struct pt_regs *regs, long id)
    long id = ctx->args[1];
    switch (id) {
${enterCases}
    case ${SYS_UNLINKAT}: {
        struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
        unsigned long flags = 0;
        bpf_probe_read_kernel(&flags, sizeof(flags), &regs->dx);
        count(flags & ${AT_REMOVEDIR} ? 8 : 6);
        break;
    }
    }
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit)
{
    // TP_PROTO(struct pt_regs *regs, long ret)
    if ((long)ctx->args[1] < 0)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
    long id = 0;
    bpf_probe_read_kernel(&id, sizeof(id), &regs->orig_ax);
    if (${OPENS.map((n) => `id == ${n}`).join(' || ')})
        count(4);
    return 0;
}
`;
}

export default defineTool<Options>({
  name: 'vfsstat',
  description: 'Count some VFS calls.',
  examples: `
    tsbcc tool vfsstat             # count some VFS calls per second
    tsbcc tool vfsstat -p 185      # trace PID 185 only
    tsbcc tool vfsstat 2 5         # print 2 second summaries, 5 times`,
  configure(cmd) {
    cmd.option('-p, --pid <pid>', 'trace this PID only', intArg);
    addIntervalArguments(cmd, 'output interval, in seconds (default 1)');
  },
  async run(o, args, s) {
    const interval = (args[0] as number | undefined) ?? 1;
    const count = args[1] as number | undefined;
    const kprobes = s.kprobes;
    const attachments: Attachment[] = kprobes
      ? KPROBES.map((f) => ({ kind: 'kprobe', target: f, fn: `on_${f}` }))
      : [rawTracepointProbe('sys_enter'), rawTracepointProbe('sys_exit')];
    const b = await s.load(program(o, kprobes), attachments);
    if (!b) return 0;
    const stats: Table<number, bigint> = b.table('stats');
    s.print(sprintf('%-8s  ', 'TIME') + STATS.map((n) => sprintf(' %8s', `${n}/s`)).join(''));
    // Counters only grow: each interval prints the difference, so nothing counted between a
    // read and a reset is lost.
    let last = STATS.map(() => 0n);
    await s.everyInterval({ interval, ...(count !== undefined ? { count } : {}) }, () => {
      const now = STATS.map((_, i) => stats.get(i + 1) ?? 0n);
      const cols = now.map((v, i) => sprintf(' %8d', (v - (last[i] ?? 0n)) / BigInt(interval)));
      last = now;
      s.print(`${sprintf('%-8s: ', clockTime())}${cols.join('')}`);
    });
    return 0;
  },
});
