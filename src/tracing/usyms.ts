/**
 * User-space symbols for stack addresses (BCC's BPF.sym): the process's mappings from
 * /proc/<pid>/maps, then the function symbols of the mapped file (cached per file).
 */
import { readFileSync } from 'node:fs';
import { elfFunctions, type ElfSymbol } from './elf-symbols.js';

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

const fileSyms = new Map<string, ElfSymbol[] | null>();

function symbolsOf(path: string): ElfSymbol[] | null {
  let s = fileSyms.get(path);
  if (s !== undefined) return s;
  try {
    s = elfFunctions(path).sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  } catch {
    s = null;
  }
  fileSyms.set(path, s);
  return s;
}

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
    if (!m?.[1] || !m[2] || !m[3] || !m[4]) continue;
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      offset: BigInt(`0x${m[3]}`),
      path: m[4],
    });
  }
  return out;
}

/** Resolves addresses of one process; build it once per stack walk (it reads the maps once). */
export class UserSymbols {
  private readonly maps: Mapping[];

  /** @throws when /proc/<pid>/maps cannot be read (the process is gone). */
  constructor(readonly pid: number) {
    this.maps = mappings(pid);
  }

  /**
   * The function containing `addr` in the process, as BCC prints it: the name, `[unknown]`
   * when none, with `+0x<offset>` and ` [<file>]` on request.
   */
  sym(addr: bigint, opts: { showOffset?: boolean; showModule?: boolean } = {}): string {
    const m = this.maps.find((x) => addr >= x.start && addr < x.end);
    if (!m) return '[unknown]';
    const fileOff = addr - m.start + m.offset;
    const syms = symbolsOf(m.path);
    let found: ElfSymbol | undefined;
    if (syms) {
      let lo = 0;
      let hi = syms.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = syms[mid] as ElfSymbol;
        if (s.offset <= fileOff) {
          found = s;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found && found.size > 0n && fileOff >= found.offset + found.size) found = undefined;
    }
    let out = found ? found.name : '[unknown]';
    if (found && opts.showOffset) out += `+0x${(fileOff - found.offset).toString(16)}`;
    if (opts.showModule) out += ` [${m.path.split('/').pop() ?? m.path}]`;
    return out;
  }
}

/** One-off resolution of a user address in process `pid` (BCC's BPF.sym with pid >= 0). */
export function usym(
  addr: bigint,
  pid: number,
  opts: { showOffset?: boolean; showModule?: boolean } = {},
): string {
  return new UserSymbols(pid).sym(addr, opts);
}
