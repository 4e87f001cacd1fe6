/**
 * killsnoop: traces signals sent by kill(2): sender, signal, target and result. Kprobe and
 * kretprobe on the kill syscall function where the kernel has kprobes (BCC's form), else the
 * syscalls:sys_enter_kill / sys_exit_kill tracepoints.
 */
import { readFileSync } from 'node:fs';
import { getSyscallPrefix } from '../bcc/syscall-prefix.js';
import { intArg, intList } from './args.js';
import { clockTime, sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { defineTool } from './tool.js';

interface Options {
  failed?: boolean;
  pid?: number;
  tpid?: number;
  signal?: number[];
}

interface KillEvent {
  pid: number;
  tpid: number;
  sig: number;
  ret: number;
  comm: string;
}

function program(o: Options, kprobes: boolean): string {
  const filters = [
    o.tpid !== undefined ? `if (tpid != ${o.tpid}) return 0;` : '',
    o.pid !== undefined ? `if (pid != ${o.pid}) return 0;` : '',
    o.signal?.length ? `if (${o.signal.map((s) => `sig != ${s}`).join(' && ')}) return 0;` : '',
  ].filter(Boolean);
  const entry = kprobes
    ? `int syscall__kill(struct pt_regs *ctx, int tpid, int sig) { return on_enter(tpid, sig); }
int on_return(struct pt_regs *ctx) { return on_exit(ctx, PT_REGS_RC(ctx)); }`
    : `TRACEPOINT_PROBE(syscalls, sys_enter_kill) { return on_enter(args->pid, args->sig); }
TRACEPOINT_PROBE(syscalls, sys_exit_kill) { return on_exit(args, args->ret); }`;
  return `#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

struct pending {
    int tpid;
    int sig;
    char comm[TASK_COMM_LEN];
};

struct kill_event {
    u32 pid;
    int tpid;
    int sig;
    int ret;
    char comm[TASK_COMM_LEN];
};

BPF_HASH(inflight, u32, struct pending);
BPF_PERF_OUTPUT(events);

static int on_enter(int tpid, int sig)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = (u32)id;
    ${filters.join('\n    ')}
    struct pending p = {.tpid = tpid, .sig = sig};
    if (bpf_get_current_comm(&p.comm, sizeof(p.comm)) == 0)
        inflight.update(&tid, &p);
    return 0;
}

static int on_exit(void *ctx, int ret)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    struct pending *p = inflight.lookup(&tid);
    if (p == 0)
        return 0;
    struct kill_event ev = {.pid = id >> 32, .tpid = p->tpid, .sig = p->sig, .ret = ret};
    __builtin_memcpy(&ev.comm, p->comm, sizeof(ev.comm));
    events.perf_submit(ctx, &ev, sizeof(ev));
    inflight.delete(&tid);
    return 0;
}

${entry}
`;
}

/** The PID column width BCC uses: the digits of pid_max, plus one. */
export function pidColumnWidth(): number {
  try {
    return readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim().length + 1;
  } catch {
    return 6;
  }
}

export default defineTool<Options>({
  name: 'killsnoop',
  description: 'Trace signals issued by the kill() syscall',
  examples: `
    tsbcc tool killsnoop           # trace all kill() signals
    tsbcc tool killsnoop -x        # only show failed kills
    tsbcc tool killsnoop -p 181    # only trace PID 181
    tsbcc tool killsnoop -T 189    # only trace target PID 189
    tsbcc tool killsnoop -s 9      # only trace signal 9
    tsbcc tool killsnoop -s 9,15   # trace signal 9 and 15`,
  configure(cmd) {
    cmd
      .option('-x, --failed', 'only show failed kill syscalls')
      .option('-p, --pid <pid>', 'trace this PID only which is the sender of signal', intArg)
      .option('-T, --tpid <pid>', 'trace this target PID only which is the receiver of signal', intArg)
      .option('-s, --signal <signals>', 'trace a signal or a signal list', intList);
  },
  async run(o, _args, s) {
    const kprobes = s.kprobes;
    const fn = `${kprobes ? getSyscallPrefix() : ''}kill`;
    const attachments: Attachment[] = kprobes
      ? [
          { kind: 'kprobe', target: fn, fn: 'syscall__kill' },
          { kind: 'kretprobe', target: fn, fn: 'on_return' },
        ]
      : [tracepointProbe('syscalls', 'sys_enter_kill'), tracepointProbe('syscalls', 'sys_exit_kill')];
    const b = await s.load(program(o, kprobes), attachments);
    if (!b) return 0;
    const w = pidColumnWidth();
    s.perfBuffer<KillEvent>(b, 'events', (e) => {
      if (o.failed && e.ret >= 0) return;
      s.print(
        sprintf('%-9s %-*d %-16s %-4d %-*d %d', clockTime(), w, e.pid, e.comm, e.sig, w, e.tpid, e.ret),
      );
    });
    // the header says the tool is tracing: the perf rings are open by then
    s.print(sprintf('%-9s %-*s %-16s %-4s %-*s %s', 'TIME', w, 'PID', 'COMM', 'SIG', w, 'TPID', 'RESULT'));
    await s.wait();
    return 0;
  },
});
