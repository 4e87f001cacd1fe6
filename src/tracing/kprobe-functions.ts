/**
 * Which kernel functions a kprobe can go on (BCC's get_kprobe_functions): text symbols of
 * /proc/kallsyms that ftrace lists in available_filter_functions, minus the kprobe blacklist,
 * the init and irqentry sections, NOKPROBE_SYMBOL markers (`_kbl_addr_`), perf's own functions,
 * static-call trampolines (`__SCT__`) and gcc's `.cold` parts.
 *
 * One departure from BCC: ftrace lists one name per address, so an alias at the same address
 * (on 6.1, `__x64_sys_getppid` is `__do_sys_getppid`) is missing from BCC's answer although a
 * kprobe on it works. Here an alias of a listed function counts (when kallsyms shows addresses,
 * i.e. as root), and a regular expression gives one name per address, so attaching by regex
 * never probes one function twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tracefsRoot } from './tracefs.js';

/** Where the kprobe blacklist lives (debugfs, BCC's DEBUGFS). */
export const KPROBE_BLACKLIST = '/sys/kernel/debug/kprobes/blacklist';

/** A kprobe-able kernel function: its name and address (0n when kallsyms hides addresses). */
export interface KprobeFunction {
  name: string;
  address: bigint;
}

/** The kprobe blacklist: names, and address ranges (`0xSTART-0xEND NAME` per line). */
export interface KprobeBlacklist {
  names: ReadonlySet<string>;
  ranges: readonly [bigint, bigint][];
}

/** Parses the blacklist file's text (BCC reads the names; the ranges catch aliases too). */
export function parseKprobeBlacklist(text: string): KprobeBlacklist {
  const names = new Set<string>();
  const ranges: [bigint, bigint][] = [];
  for (const line of text.split('\n')) {
    const [range, name] = line.trim().split(/\s+/);
    if (name) names.add(name);
    const m = /^0x([0-9a-f]+)-0x([0-9a-f]+)$/.exec(range ?? '');
    if (m?.[1] && m[2] && BigInt(`0x${m[1]}`) !== 0n) ranges.push([BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)]);
  }
  return { names, ranges };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // unreadable (EPERM, ENOENT): empty, as BCC treats it
  }
}

/**
 * The kprobe-able functions from the text of /proc/kallsyms, ftrace's available function names
 * and the kprobe blacklist, in kallsyms order without duplicate names (pure; see
 * kprobeableFunctions).
 */
export function filterKprobeFunctions(
  kallsyms: string,
  available: ReadonlySet<string>,
  blacklist: KprobeBlacklist | ReadonlySet<string>,
): KprobeFunction[] {
  const black: KprobeBlacklist = 'ranges' in blacklist ? blacklist : { names: blacklist, ranges: [] };
  const candidates: KprobeFunction[] = [];
  const traceable = new Set<bigint>();
  let init = 0; // 0 before __init_begin, 1 inside, 2 after
  let irq = 0;
  for (const line of kallsyms.split('\n')) {
    const parts = line.split(/\s+/);
    const type = parts[1];
    const fn = parts[2];
    if (!type || !fn) continue;
    if (init === 0 && fn === '__init_begin') {
      init = 1;
      continue;
    }
    if (init === 1) {
      if (fn === '__init_end') init = 2;
      continue;
    }
    // __irqentry_text_end may come without a start (no functions between them)
    if (irq === 0 && (fn === '__irqentry_text_start' || fn === '__irqentry_text_end')) {
      irq = fn === '__irqentry_text_start' ? 1 : 2;
      continue;
    }
    if (irq === 1) {
      if (fn === '__irqentry_text_end') irq = 2;
      continue;
    }
    if (
      fn.startsWith('_kbl_addr_') ||
      fn.startsWith('__perf') ||
      fn.startsWith('perf_') ||
      fn.startsWith('__SCT__') ||
      /\.cold(\.\d+)?$/.test(fn) ||
      !'tTwW'.includes(type)
    )
      continue;
    const address = /^[0-9a-f]+$/.test(parts[0] ?? '') ? BigInt(`0x${parts[0]}`) : 0n;
    if (available.has(fn) && address !== 0n) traceable.add(address);
    candidates.push({ name: fn, address });
  }
  const out: KprobeFunction[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.name) || black.names.has(c.name)) continue;
    if (c.address !== 0n && black.ranges.some(([a, b]) => c.address >= a && c.address < b)) continue;
    if (!available.has(c.name) && !(c.address !== 0n && traceable.has(c.address))) continue;
    seen.add(c.name);
    out.push(c);
  }
  return out;
}

let cache: KprobeFunction[] | undefined;

function load(refresh: boolean): KprobeFunction[] {
  if (cache && !refresh) return cache;
  const root = tracefsRoot();
  const available = new Set<string>();
  for (const line of (root ? readOr(join(root, 'available_filter_functions')) : '').split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (word) available.add(word);
  }
  cache = filterKprobeFunctions(
    readOr('/proc/kallsyms'),
    available,
    parseKprobeBlacklist(readOr(KPROBE_BLACKLIST)),
  );
  return cache;
}

/**
 * Every kprobe-able kernel function name, in kallsyms order without duplicates (aliases
 * included). Read once per process and cached (kallsyms and ftrace's list are large); `refresh`
 * reads them again (after a module was loaded).
 */
export function kprobeableFunctions(opts: { refresh?: boolean } = {}): readonly string[] {
  return load(opts.refresh ?? false).map((f) => f.name);
}

/** A regular expression that must match a whole name (BCC compares with re.fullmatch). */
export function fullMatch(re: RegExp | string): RegExp {
  const source = typeof re === 'string' ? re : re.source;
  const flags = typeof re === 'string' ? '' : re.flags.replace(/[gy]/g, '');
  return new RegExp(`^(?:${source})$`, flags);
}

/**
 * The functions of `fns` whose whole name matches `re`, one name per address (the first in
 * their order); functions without an address are all kept (pure; see getKprobeFunctions).
 */
export function matchKprobeFunctions(fns: readonly KprobeFunction[], re: RegExp | string): string[] {
  const m = fullMatch(re);
  const seen = new Set<bigint>();
  const out: string[] = [];
  for (const f of fns) {
    if (!m.test(f.name)) continue;
    if (f.address !== 0n) {
      if (seen.has(f.address)) continue;
      seen.add(f.address);
    }
    out.push(f.name);
  }
  return out;
}

/**
 * The kprobe-able kernel functions whose whole name matches `re` (BCC's
 * BPF.get_kprobe_functions), one name per address: the first in kallsyms order, so a regex
 * matching a function and its alias gives the function once. Empty where the kernel has no
 * ftrace function list (then no function can be probed by name) or it cannot be read.
 */
export function getKprobeFunctions(re: RegExp | string, opts: { refresh?: boolean } = {}): string[] {
  return matchKprobeFunctions(load(opts.refresh ?? false), re);
}
