/**
 * Which kernel functions a kprobe can go on (BCC's get_kprobe_functions): text symbols of
 * /proc/kallsyms that ftrace lists in available_filter_functions, minus the kprobe blacklist,
 * the init and irqentry sections, NOKPROBE_SYMBOL markers (`_kbl_addr_`), perf's own functions,
 * static-call trampolines (`__SCT__`) and gcc's `.cold` parts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tracefsRoot } from './tracefs.js';

/** Where the kprobe blacklist lives (debugfs, BCC's DEBUGFS). */
export const KPROBE_BLACKLIST = '/sys/kernel/debug/kprobes/blacklist';

/**
 * Reads a file of names, one per line (first word of each line, or the word at `column`);
 * an unreadable file (EPERM, ENOENT) gives an empty set, as BCC treats it.
 */
function nameSet(path: string, column: number): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Set();
  }
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const word = line.trim().split(/\s+/)[column];
    if (word) out.add(word);
  }
  return out;
}

/**
 * The kprobe-able names from the text of /proc/kallsyms, ftrace's available function names and
 * the kprobe blacklist, in kallsyms order without duplicates (pure; see kprobeableFunctions).
 */
export function filterKprobeFunctions(
  kallsyms: string,
  available: ReadonlySet<string>,
  blacklist: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
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
      /\.cold(\.\d+)?$/.test(fn)
    )
      continue;
    if (!'tTwW'.includes(type) || blacklist.has(fn) || !available.has(fn) || seen.has(fn)) continue;
    seen.add(fn);
    out.push(fn);
  }
  return out;
}

let cache: string[] | undefined;

/**
 * Every kprobe-able kernel function name, in kallsyms order without duplicates. Read once per
 * process and cached (kallsyms and ftrace's list are large); `refresh` reads them again (after
 * a module was loaded).
 */
export function kprobeableFunctions(opts: { refresh?: boolean } = {}): readonly string[] {
  if (cache && !opts.refresh) return cache;
  const root = tracefsRoot();
  const available = root ? nameSet(join(root, 'available_filter_functions'), 0) : new Set<string>();
  const blacklist = nameSet(KPROBE_BLACKLIST, 1);
  let kallsyms = '';
  try {
    kallsyms = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    // not readable: nothing is known to be probeable
  }
  cache = filterKprobeFunctions(kallsyms, available, blacklist);
  return cache;
}

/** A regular expression that must match a whole name (BCC compares with re.fullmatch). */
export function fullMatch(re: RegExp | string): RegExp {
  const source = typeof re === 'string' ? re : re.source;
  const flags = typeof re === 'string' ? '' : re.flags.replace(/[gy]/g, '');
  return new RegExp(`^(?:${source})$`, flags);
}

/**
 * The kprobe-able kernel functions whose whole name matches `re` (BCC's
 * BPF.get_kprobe_functions). Empty where the kernel has no ftrace function list (then no
 * function can be probed by name) or it cannot be read.
 */
export function getKprobeFunctions(re: RegExp | string, opts: { refresh?: boolean } = {}): string[] {
  const m = fullMatch(re);
  return kprobeableFunctions(opts).filter((f) => m.test(f));
}
