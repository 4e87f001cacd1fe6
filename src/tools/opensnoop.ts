/**
 * opensnoop: traces open(2), openat(2) and openat2(2): process, file descriptor or error, and
 * the path. Kprobes and kretprobes on the syscall functions where the kernel has kprobes
 * (BCC's form), else the syscalls:sys_enter_* / sys_exit_* tracepoints.
 */
import { readlinkSync } from 'node:fs';
import { getSyscallPrefix } from '../bcc/syscall-prefix.js';
import { InvalidArgumentError } from '../errors.js';
import { ksymname } from '../tracing/ksyms.js';
import { tracepointExists } from '../tracing/attach.js';
import { collect, intArg, positiveInt } from './args.js';
import { addContainerOptions, containerFilter, type ContainerOptions } from './containers.js';
import { sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { defineTool } from './tool.js';

interface Options extends ContainerOptions {
  ebpf?: boolean;
  timestamp?: boolean;
  printUid?: boolean;
  failed?: boolean;
  pid?: number;
  tid?: number;
  uid?: number;
  duration?: number;
  name?: string;
  extendedFields?: boolean;
  flagFilter?: string[];
  fullPath?: boolean;
  bufferPages: number;
}

interface OpenEvent {
  id: bigint;
  ts: bigint;
  uid: number;
  ret: number;
  comm: string;
  flags: number;
  mode: number;
  name: string;
}

/** open(2) flags by name, Linux x86_64 values (what Python's os.O_* give there). */
const OPEN_FLAGS: Record<string, number> = {
  O_RDONLY: 0,
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_ACCMODE: 0o3,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_NDELAY: 0o4000,
  O_DSYNC: 0o10000,
  O_ASYNC: 0o20000,
  O_DIRECT: 0o40000,
  O_LARGEFILE: 0o100000,
  O_DIRECTORY: 0o200000,
  O_NOFOLLOW: 0o400000,
  O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000,
  O_SYNC: 0o4010000,
  O_RSYNC: 0o4010000,
  O_PATH: 0o10000000,
  O_TMPFILE: 0o20200000,
};
const O_CREAT = 0o100;
const O_TMPFILE = 0o20200000;

function flagMask(names: string[]): number {
  let mask = 0;
  for (const f of names) {
    const v = OPEN_FLAGS[f];
    if (v === undefined) throw new InvalidArgumentError(`Bad flag: ${f}`);
    mask |= v;
  }
  return mask;
}

/** The open syscalls this kernel has: open and openat always, openat2 since 5.6. */
function calls(kprobes: boolean): string[] {
  const all = ['open', 'openat', 'openat2'];
  return all.filter((c) =>
    kprobes
      ? c !== 'openat2' || ksymname(`${getSyscallPrefix()}${c}`) !== -1n
      : tracepointExists('syscalls', `sys_enter_${c}`),
  );
}

function program(o: Options, kprobes: boolean, present: string[]): string {
  const filters: string[] = [];
  if (o.tid !== undefined) filters.push(`if (tid != ${o.tid}) return 0;`);
  else if (o.pid !== undefined) filters.push(`if (pid != ${o.pid}) return 0;`);
  if (o.uid !== undefined) filters.push(`if (uid != ${o.uid}) return 0;`);
  if (o.flagFilter?.length) filters.push(`if (!(flags & ${flagMask(o.flagFilter)})) return 0;`);
  const containers = containerFilter(o, o.ebpf);
  if (containers.check) filters.push(containers.check);
  const hooks: string[] = [];
  for (const c of present) {
    if (kprobes) {
      const params =
        c === 'open'
          ? 'const char *filename, int flags, u32 mode'
          : c === 'openat'
            ? 'int dfd, const char *filename, int flags, u32 mode'
            : 'int dfd, const char *filename, struct open_how *how';
      hooks.push(
        c === 'openat2'
          ? `int syscall__openat2(struct pt_regs *ctx, ${params})\n{\n    struct open_how h = {};\n    bpf_probe_read_user(&h, sizeof(h), how);\n    return on_enter(filename, h.flags, h.mode);\n}`
          : `int syscall__${c}(struct pt_regs *ctx, ${params}) { return on_enter(filename, flags, mode); }`,
      );
    } else {
      hooks.push(
        c === 'openat2'
          ? `TRACEPOINT_PROBE(syscalls, sys_enter_openat2)\n{\n    struct open_how h = {};\n    bpf_probe_read_user(&h, sizeof(h), (void *)args->how);\n    return on_enter((const char *)args->filename, h.flags, h.mode);\n}`
          : `TRACEPOINT_PROBE(syscalls, sys_enter_${c}) { return on_enter((const char *)args->filename, args->flags, args->mode); }`,
        `TRACEPOINT_PROBE(syscalls, sys_exit_${c}) { return on_exit(args->ret); }`,
      );
    }
  }
  if (kprobes) hooks.push('int on_return(struct pt_regs *ctx) { return on_exit(PT_REGS_RC(ctx)); }');
  return `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#define NAME_MAX 255

struct pending {
    u64 id;
    const char *fname;
    int flags;
    u32 mode;
    char comm[TASK_COMM_LEN];
};

struct open_event {
    u64 id;
    u64 ts;
    u32 uid;
    int ret;
    char comm[TASK_COMM_LEN];
    int flags;
    u32 mode;
    char name[NAME_MAX];
};

BPF_HASH(inflight, u64, struct pending);
BPF_RINGBUF_OUTPUT(events, ${o.bufferPages});
${containers.decls}
static int on_enter(const char *filename, int flags, u32 mode)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = (u32)id;
    u32 uid = bpf_get_current_uid_gid();
    ${filters.join('\n    ')}
    struct pending p = {.id = id, .fname = filename, .flags = flags};
    if (flags & ${O_CREAT} || (flags & ${O_TMPFILE}) == ${O_TMPFILE})
        p.mode = mode;
    if (bpf_get_current_comm(&p.comm, sizeof(p.comm)) == 0)
        inflight.update(&id, &p);
    return 0;
}

static int on_exit(long ret)
{
    u64 id = bpf_get_current_pid_tgid();
    struct pending *p = inflight.lookup(&id);
    if (p == 0)
        return 0;
    struct open_event *ev = events.ringbuf_reserve(sizeof(struct open_event));
    if (ev) {
        ev->id = p->id;
        ev->ts = bpf_ktime_get_ns() / 1000;
        ev->uid = bpf_get_current_uid_gid();
        ev->ret = ret;
        ev->flags = p->flags;
        ev->mode = p->mode;
        __builtin_memcpy(&ev->comm, p->comm, sizeof(ev->comm));
        bpf_probe_read_user_str(&ev->name, sizeof(ev->name), p->fname);
        events.ringbuf_submit(ev, 0);
    }
    inflight.delete(&id);
    return 0;
}

${hooks.join('\n')}
`;
}

function fullPath(name: string, tid: number): string {
  if (name.startsWith('/')) return name;
  try {
    const cwd = readlinkSync(`/proc/${tid}/cwd`);
    return `${cwd === '/' ? '' : cwd}/${name}`;
  } catch {
    return name; // the process is gone: as the kernel saw it
  }
}

export default defineTool<Options>({
  name: 'opensnoop',
  description: 'Trace open() syscalls',
  examples: `
    tsbcc tool opensnoop                        # trace all open() syscalls
    tsbcc tool opensnoop -T                     # include timestamps
    tsbcc tool opensnoop -U                     # include UID
    tsbcc tool opensnoop -x                     # only show failed opens
    tsbcc tool opensnoop -p 181                 # only trace PID 181
    tsbcc tool opensnoop -t 123                 # only trace TID 123
    tsbcc tool opensnoop --cgroupmap mappath    # only trace cgroups in this BPF map
    tsbcc tool opensnoop --mntnsmap mappath     # only trace mount namespaces in the map
    tsbcc tool opensnoop -u 1000                # only trace UID 1000
    tsbcc tool opensnoop -d 10                  # trace for 10 seconds only
    tsbcc tool opensnoop -n main                # only print process names containing "main"
    tsbcc tool opensnoop -e                     # show extended fields
    tsbcc tool opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing
    tsbcc tool opensnoop -F                     # show full path for an open file with relative path`,
  configure(cmd) {
    cmd
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-U, --print-uid', 'print UID column')
      .option('-x, --failed', 'only show failed opens')
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-t, --tid <tid>', 'trace this TID only', intArg);
    addContainerOptions(cmd);
    cmd
      .option('-u, --uid <uid>', 'trace this UID only', intArg)
      .option('-d, --duration <seconds>', 'total duration of trace in seconds', positiveInt)
      .option('-n, --name <name>', 'only print process names containing this name')
      .option('-e, --extended-fields', 'show extended fields')
      .option('-f, --flag-filter <flag>', 'filter on flags argument (e.g., O_WRONLY)', collect)
      .option('-F, --full-path', 'show full path for an open file with relative path')
      .option(
        '-b, --buffer-pages <pages>',
        'size of the ring buffer (must be a power of two number of pages and defaults to 64)',
        positiveInt,
        64,
      );
  },
  async run(o, _args, s) {
    if (o.bufferPages & (o.bufferPages - 1))
      throw new InvalidArgumentError(`--buffer-pages must be a power of two, got ${o.bufferPages}`);
    const kprobes = s.kprobes;
    const present = calls(kprobes);
    const attachments: Attachment[] = kprobes
      ? present.flatMap((c): Attachment[] => [
          { kind: 'kprobe', target: `${getSyscallPrefix()}${c}`, fn: `syscall__${c}` },
          { kind: 'kretprobe', target: `${getSyscallPrefix()}${c}`, fn: 'on_return' },
        ])
      : present.flatMap((c) => [
          tracepointProbe('syscalls', `sys_enter_${c}`),
          tracepointProbe('syscalls', `sys_exit_${c}`),
        ]);
    const b = await s.load(program(o, kprobes, present), attachments);
    if (!b) return 0;
    let header = '';
    if (o.timestamp) header += sprintf('%-14s', 'TIME(s)');
    if (o.printUid) header += sprintf('%-6s', 'UID');
    header += sprintf('%-6s %-16s %4s %3s ', o.tid !== undefined ? 'TID' : 'PID', 'COMM', 'FD', 'ERR');
    if (o.extendedFields) header += sprintf('%-8s %-4s ', 'FLAGS', 'MODE');
    s.print(`${header}PATH`);
    let firstTs: bigint | undefined;
    s.ringBuffer<OpenEvent>(b, 'events', (e) => {
      firstTs ??= e.ts;
      if (o.failed && e.ret >= 0) return;
      if (o.name !== undefined && !e.comm.includes(o.name)) return;
      let line = '';
      if (o.timestamp) line += sprintf('%-14.9f', Number(e.ts - firstTs) / 1e6);
      if (o.printUid) line += sprintf('%-6d', e.uid);
      const id = o.tid !== undefined ? Number(e.id & 0xffffffffn) : Number(e.id >> 32n);
      line += sprintf('%-6d %-16s %4d %3d ', id, e.comm, e.ret >= 0 ? e.ret : -1, e.ret >= 0 ? 0 : -e.ret);
      if (o.extendedFields) {
        const noMode = e.mode === 0 && (e.flags & O_CREAT) === 0 && (e.flags & O_TMPFILE) !== O_TMPFILE;
        line += noMode ? sprintf('%08o n/a  ', e.flags) : sprintf('%08o %04o ', e.flags, e.mode);
      }
      s.print(line + (o.fullPath ? fullPath(e.name, Number(e.id & 0xffffffffn)) : e.name));
    });
    await s.wait(o.duration !== undefined ? o.duration * 1000 : undefined);
    return 0;
  },
});
