/**
 * When a kprobe cannot be attached — the kernel has no kprobes, or the function cannot be
 * probed — say which function, why, and what to attach instead: the tracepoint (or raw
 * tracepoint) that sees the same event, a kfunc where trampolines work, or a similarly named
 * probeable function.
 */
import { NotSupportedError, TsbccError } from '../errors.js';
import { listTracepoints, tracepointExists } from './attach.js';
import { kprobeableFunctions } from './kprobe-functions.js';
import { supportKfunc, supportKprobes } from './support.js';

/** An equivalent hook for a kernel function. */
export interface KprobeAlternative {
  /** `tracepoint`, `raw_tracepoint` or `kfunc`. */
  kind: 'tracepoint' | 'raw_tracepoint' | 'kfunc';
  /** `category:event`, the raw tracepoint's name, or the function. */
  target: string;
  /** How to write it in BCC-C. */
  usage: string;
  /** What differs from the kprobe, when anything does. */
  note?: string;
}

interface Known {
  re: RegExp;
  entry: [string, string?][];
  exit?: [string, string?][];
}

/** Well-known functions and the tracepoints that see the same events ([tracepoint, note]). */
const KNOWN: Known[] = [
  {
    re: /^finish_task_switch(\.isra\.\d+)?$|^__schedule$|^schedule$/,
    entry: [['sched:sched_switch', 'fires in the outgoing task: prev_pid/next_pid are fields']],
  },
  {
    re: /^(tcp_v4_connect|tcp_v6_connect|tcp_connect)$/,
    entry: [['sock:inet_sock_set_state', 'a connect is oldstate TCP_CLOSE -> newstate TCP_SYN_SENT']],
    exit: [['sock:inet_sock_set_state', 'the connect went out when newstate is TCP_SYN_SENT']],
  },
  {
    re: /^(inet_csk_accept|tcp_v4_syn_recv_sock)$/,
    entry: [['sock:inet_sock_set_state', 'an accepted connection is TCP_SYN_RECV -> TCP_ESTABLISHED']],
  },
  { re: /^tcp_set_state$/, entry: [['sock:inet_sock_set_state']] },
  { re: /^tcp_retransmit_skb$|^__tcp_retransmit_skb$/, entry: [['tcp:tcp_retransmit_skb']] },
  { re: /^tcp_(send|receive)_reset$|^tcp_v4_send_reset$/, entry: [['tcp:tcp_send_reset']] },
  {
    re: /^(blk_mq_start_request|blk_start_request|blk_account_io_start|__blk_account_io_start)$/,
    entry: [
      ['block:block_rq_issue', 'fields dev, sector, nr_sector, bytes, rwbs, comm'],
      ['raw:block:block_rq_issue', 'args[0] is the struct request * (key a map by it)'],
    ],
  },
  {
    re: /^(blk_mq_end_request|blk_account_io_done|__blk_account_io_done|blk_mq_complete_request|blk_update_request)$/,
    entry: [
      ['block:block_rq_complete', 'fields dev, sector, nr_sector, error, rwbs'],
      ['raw:block:block_rq_complete', 'args[0] is the struct request *, args[2] the bytes completed'],
    ],
  },
  {
    re: /^(vfs_read|ksys_read)$/,
    entry: [['syscalls:sys_enter_read', 'an approximation: read(2) only, not every vfs_read caller']],
    exit: [['syscalls:sys_exit_read', 'an approximation: read(2) only, not every vfs_read caller']],
  },
  {
    re: /^(vfs_write|ksys_write)$/,
    entry: [['syscalls:sys_enter_write', 'an approximation: write(2) only']],
    exit: [['syscalls:sys_exit_write', 'an approximation: write(2) only']],
  },
  {
    re: /^(do_sys_open|do_sys_openat2)$/,
    entry: [['syscalls:sys_enter_openat'], ['syscalls:sys_enter_openat2']],
    exit: [['syscalls:sys_exit_openat'], ['syscalls:sys_exit_openat2']],
  },
  {
    re: /^(wake_up_new_task|_do_fork|kernel_clone|copy_process)$/,
    entry: [['sched:sched_process_fork']],
  },
  { re: /^(do_exit|do_group_exit)$/, entry: [['sched:sched_process_exit']] },
  { re: /^(try_to_wake_up|ttwu_do_wakeup)$/, entry: [['sched:sched_wakeup']] },
  { re: /^(kfree_skb|kfree_skb_reason|tcp_drop)$/, entry: [['skb:kfree_skb']] },
  { re: /^(handle_mm_fault|do_user_addr_fault)$/, entry: [['exceptions:page_fault_user']] },
  { re: /^(__kmalloc|kmalloc|__kmalloc_node)$/, entry: [['kmem:kmalloc']] },
  { re: /^(kfree)$/, entry: [['kmem:kfree']] },
  { re: /^(__netif_receive_skb|netif_receive_skb)$/, entry: [['net:netif_receive_skb']] },
  { re: /^(dev_queue_xmit|__dev_queue_xmit)$/, entry: [['net:net_dev_queue']] },
];

const SYSCALL =
  /^(?:__x64_|__ia32_|__x32_compat_|__ia32_compat_|__arm64_|__s390x_|__s390_|__riscv_)?(?:compat_)?sys_(\w+)$/;

function usageOf(kind: KprobeAlternative['kind'], target: string): string {
  if (kind === 'raw_tracepoint') return `RAW_TRACEPOINT_PROBE(${target})`;
  if (kind === 'kfunc') return `KFUNC_PROBE(${target})`;
  const [cat, ev] = target.split(':');
  return `TRACEPOINT_PROBE(${cat}, ${ev})`;
}

/**
 * Equivalent hooks for a kprobe (`retprobe` false) or kretprobe on kernel function `fn` that
 * exist on the running kernel, best first.
 */
export function kprobeAlternatives(fn: string, retprobe = false): KprobeAlternative[] {
  const out: KprobeAlternative[] = [];
  const add = (spec: string, note?: string): void => {
    // `raw:cat:event` is the raw tracepoint behind tracepoint cat:event (same name, no category)
    const raw = spec.startsWith('raw:');
    const tp = raw ? spec.slice(4) : spec;
    const [cat = '', ev = ''] = tp.split(':');
    if (!tracepointExists(cat, ev)) return;
    const kind = raw ? 'raw_tracepoint' : 'tracepoint';
    const target = raw ? ev : tp;
    if (out.some((a) => a.kind === kind && a.target === target)) return;
    out.push({ kind, target, usage: usageOf(kind, target), ...(note ? { note } : {}) });
  };
  const sys = SYSCALL.exec(fn);
  if (sys?.[1])
    add(
      `syscalls:sys_${retprobe ? 'exit' : 'enter'}_${sys[1]}`,
      retprobe ? 'args->ret is the return value' : undefined,
    );
  for (const k of KNOWN) {
    if (!k.re.test(fn)) continue;
    for (const [spec, note] of (retprobe ? k.exit : undefined) ?? k.entry) add(spec, note);
  }
  try {
    for (const tp of listTracepoints(new RegExp(`^[^:]+:${fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)))
      add(tp);
  } catch {
    // no tracefs
  }
  if (supportKfunc())
    out.push({ kind: 'kfunc', target: fn, usage: `${retprobe ? 'KRETFUNC_PROBE' : 'KFUNC_PROBE'}(${fn})` });
  return out;
}

function describe(alts: KprobeAlternative[]): string {
  if (alts.length === 0)
    return 'no tracepoint sees the same event; look for one with `listTracepoints(/re/)`';
  return alts.map((a) => `${a.kind} ${a.target} (${a.usage}${a.note ? `; ${a.note}` : ''})`).join(', or ');
}

/** Probeable functions whose name is close to `fn` (a prefix/suffix of it, or it of them). */
function similar(fn: string): string[] {
  const base = fn.replace(/\.(isra|constprop|part)\.\d+$/, '');
  return kprobeableFunctions()
    .filter((f) => f !== fn && (f.startsWith(`${base}.`) || f === `__${base}` || `__${f}` === base))
    .slice(0, 5);
}

/**
 * The error for a kprobe that could not be attached for program function `fnName`: which
 * function, why (no kprobes in this kernel / the kernel refused this function), and what to use
 * instead. Keeps the original error as `cause`.
 */
export function kprobeAttachError(
  fnName: string,
  event: string,
  retprobe: boolean,
  cause: unknown,
): NotSupportedError | TsbccError {
  const kind = retprobe ? 'kretprobe' : 'kprobe';
  const alts = kprobeAlternatives(event, retprobe);
  const way = `create it with autoAttach: false and attach ${describe(alts)} instead`;
  if (!supportKprobes() || cause instanceof NotSupportedError) {
    const e = new NotSupportedError(
      `${fnName}: ${kind} on ${event}`,
      'CONFIG_KPROBE_EVENTS',
      `the kernel has no kprobes; ${way}`,
    );
    (e as { cause?: unknown }).cause = cause;
    return e;
  }
  const near = similar(event);
  const why =
    `the kernel refused ${event} (${(cause as Error).message}): ` +
    `it is not a probeable function (missing, inlined, or notrace/blacklisted)` +
    (near.length > 0 ? `; probeable functions with that name: ${near.join(', ')}` : '');
  return new TsbccError(
    `${fnName}: cannot attach a ${kind} to ${event}: ${why}; or ${way}`,
    (cause as { code?: string }).code ?? 'EATTACH',
    { cause },
  );
}
