/**
 * Kernel functions a kprobe can go on, by regular expression (BCC's get_kprobe_functions):
 * ftrace's available_filter_functions minus the kprobe blacklist. Used by the tools' kprobe
 * modes (funccount, funclatency, stackcount, vfscount, offcputime).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tracefsRoot } from '../tracing/attach.js';

let names: string[] | undefined;

function words(path: string, column: number): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[column] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Every kprobe-able kernel function name (read once per process). */
function kprobeable(): string[] {
  if (names) return names;
  const root = tracefsRoot();
  const blacklist = new Set(words('/sys/kernel/debug/kprobes/blacklist', 1));
  const seen = new Set<string>();
  names = [];
  for (const n of root ? words(join(root, 'available_filter_functions'), 0) : []) {
    if (
      blacklist.has(n) ||
      seen.has(n) ||
      /^(__perf|perf_|_kbl_addr_|__SCT__)/.test(n) ||
      /\.cold(\.\d+)?$/.test(n)
    )
      continue;
    seen.add(n);
    names.push(n);
  }
  return names;
}

/** The kprobe-able kernel functions whose whole name matches `re`. */
export function kprobeFunctions(re: RegExp): string[] {
  const whole = new RegExp(`^(?:${re.source})$`, re.flags.replace(/[gy]/g, ''));
  return kprobeable().filter((n) => whole.test(n));
}
