/**
 * Block-device pieces biolatency and biosnoop share: where a request starts and completes on
 * this kernel (kprobes as BCC, or the block tracepoints), disk names from /proc/diskstats, and
 * request flags as BCC spells them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { ksymname } from '../tracing/ksyms.js';
import { tracepointExists } from '../tracing/attach.js';
import { getKprobeFunctions } from '../tracing/kprobe-functions.js';

/** The kernel's dev_t (MKDEV: major << 20 | minor) of disk `name` under /dev. */
export function diskDev(name: string): number {
  const path = `/dev/${name}`;
  if (!existsSync(path)) throw new InvalidArgumentError(`no such disk '${name}'`);
  const rdev = statSync(path).rdev;
  // glibc's major()/minor() of the user-space dev_t
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
  return major * 2 ** 20 + minor;
}

/** Disk names by kernel dev_t, read once from /proc/diskstats. */
export function diskNames(): (dev: number, unknown?: string) => string {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
      const [maj, min, name] = line.trim().split(/\s+/);
      if (name) names.set(Number(maj) * 2 ** 20 + Number(min), name);
    }
  } catch {
    // no diskstats: every disk prints as unknown
  }
  return (dev, unknown = '?') => names.get(dev) ?? unknown;
}

/** How this kernel lets a tool see block requests start and complete. */
export interface BlockHooks {
  /** Kernel functions taking `struct request *` first, for the start (kprobe form). */
  startKprobes: string[];
  /** Or the block tracepoint of the start. */
  startTracepoint?: string;
  /** Kernel function taking `struct request *` at completion (kprobe form). */
  doneKprobe?: string;
  /** Or the block tracepoint of the completion. */
  doneTracepoint?: string;
}

/**
 * The first of `names` a kprobe can go on (BCC tests with get_kprobe_functions), or undefined.
 * A name in /proc/kallsyms is not enough: on Debian's 6.1 `blk_account_io_done` is listed there
 * but not in available_filter_functions, and a kprobe on it fails with EINVAL.
 */
export const firstKprobeable = (names: string[]): string | undefined =>
  names.find((n) => getKprobeFunctions(n.replace(/[.]/g, '\\.')).length > 0);
const firstTracepoint = (names: string[]): string | undefined =>
  names.find((n) => tracepointExists('block', n));

/**
 * BCC's choice of hooks: with kprobes, blk_mq_start_request (and blk_start_request) for the
 * issue, or the accounting start with `queued`; the accounting end for the completion; block
 * tracepoints for what has no kprobe-able function. Without kprobes: block_rq_issue (or
 * block_io_start / block_bio_queue with `queued`) and block_io_done / block_rq_complete.
 */
export function blockHooks(kprobes: boolean, queued: boolean): BlockHooks {
  const h: BlockHooks = { startKprobes: [] };
  if (kprobes) {
    if (queued) {
      const f = firstKprobeable(['__blk_account_io_start', 'blk_account_io_start']);
      if (f) h.startKprobes.push(f);
    } else {
      if (ksymname('blk_start_request') !== -1n) h.startKprobes.push('blk_start_request');
      h.startKprobes.push('blk_mq_start_request');
    }
    const d = firstKprobeable(['__blk_account_io_done', 'blk_account_io_done']);
    if (d) h.doneKprobe = d;
  }
  if (h.startKprobes.length === 0) {
    const tp = queued ? firstTracepoint(['block_io_start', 'block_bio_queue']) : 'block_rq_issue';
    if (tp) h.startTracepoint = tp;
  }
  if (!h.doneKprobe) {
    const tp = firstTracepoint(['block_io_done', 'block_rq_complete']);
    if (tp) h.doneTracepoint = tp;
  }
  return h;
}

/**
 * C: `static u64 rwbs_flags(const char *rwbs)` turns a block tracepoint's rwbs string into
 * request flags with the bits BCC's flag names use (op in the low 8 bits; sync, meta, FUA and
 * read-ahead): what the tracepoints say about a request.
 */
export const RWBS_FLAGS_C = `
static u64 rwbs_flags(const char *rwbs)
{
    u64 flags = 0;
    int i = 0;
    if (rwbs[0] == 'F' && rwbs[1] != 0 && rwbs[1] != 'S' && rwbs[1] != 'M' && rwbs[1] != 'A')
        i = 1; // preflush, then the operation
    char op = rwbs[i];
    if (op == 'W') flags = 1;
    else if (op == 'F') flags = 2;
    else if (op == 'D') flags = rwbs[i + 1] == 'E' ? 5 : 3;
    else if (op == 'N') flags = 0xff;
    #pragma unroll
    for (int j = 1; j < 8; j++) {
        char c = rwbs[j];
        if (j <= i || c == 0) continue;
        if (c == 'F') flags |= 1 << 17;      // FUA
        else if (c == 'A') flags |= 1 << 19; // read-ahead
        else if (c == 'S') flags |= 1 << 11; // sync
        else if (c == 'M') flags |= 1 << 12; // meta
    }
    return flags;
}
`;

const OPS: Record<number, string> = {
  0: 'Read',
  1: 'Write',
  2: 'Flush',
  3: 'Discard',
  5: 'SecureErase',
  6: 'ZoneReset',
  7: 'WriteSame',
  9: 'WriteZeros',
};
const FLAG_NAMES: [number, string][] = [
  [1 << 11, 'Sync'],
  [1 << 12, 'Metadata'],
  [1 << 17, 'ForcedUnitAccess'],
  [1 << 13, 'Priority'],
  [1 << 14, 'NoMerge'],
  [1 << 15, 'Idle'],
  [1 << 19, 'ReadAhead'],
  [1 << 20, 'Background'],
  [1 << 21, 'NoWait'],
];

/** Request flags as BCC's biolatency -F prints them, e.g. `Sync-Write`. */
export function requestFlagsName(flags: number | bigint): string {
  const f = Number(flags);
  let desc = OPS[f & 0xff] ?? 'Unknown';
  for (const [bit, name] of FLAG_NAMES) if (f & bit) desc = `${name}-${desc}`;
  return desc;
}
