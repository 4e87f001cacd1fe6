/**
 * Kernel symbols from /proc/kallsyms (BCC's ksym / ksymname): address -> name for stack traces,
 * name -> address. Read once and cached; addresses need root (kptr_restrict shows zeros
 * otherwise).
 */
import { readFileSync } from 'node:fs';

interface Sym {
  addr: bigint;
  name: string;
  module?: string;
}

let table: Sym[] | undefined;

function load(): Sym[] {
  if (table) return table;
  const out: Sym[] = [];
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const [addr, type, name, mod] = line.split(/\s+/);
    if (!addr || !name || !type || !'tTwW'.includes(type)) continue;
    const s: Sym = { addr: BigInt(`0x${addr}`), name };
    if (mod) s.module = mod.replace(/^\[|\]$/g, '');
    out.push(s);
  }
  out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  table = out;
  return out;
}

/**
 * The kernel function containing `addr`, as BCC prints it: the name, `[unknown]` when none,
 * with `+0x<offset>` and ` [module]` on request.
 */
export function ksym(addr: bigint, opts: { showOffset?: boolean; showModule?: boolean } = {}): string {
  const syms = load();
  let lo = 0;
  let hi = syms.length - 1;
  let found: Sym | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = syms[mid] as Sym;
    if (s.addr <= addr) {
      found = s;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (!found || found.addr === 0n) return '[unknown]';
  let out = found.name;
  if (opts.showOffset) out += `+0x${(addr - found.addr).toString(16)}`;
  if (opts.showModule) out += ` [${found.module ?? 'kernel'}]`;
  return out;
}

/** The address of kernel symbol `name`, or -1n when absent (BCC's ksymname). */
export function ksymname(name: string): bigint {
  return load().find((s) => s.name === name)?.addr ?? -1n;
}
