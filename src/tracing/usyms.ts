/**
 * User-space symbols for stack addresses (BCC's BPF.sym): the process's mappings from
 * /proc/<pid>/maps, then the function symbols of the mapped file (cached per file), demangled.
 * A process that has exited has no mappings: its addresses are `[unknown]`, as in BCC.
 */
import { readFileSync } from 'node:fs';
import { demangle } from './demangle.js';
import { elfFunctions, type ElfSymbol } from './elf-symbols.js';

/** How a symbol is printed (BCC's show_offset, show_module, demangle). */
export interface SymbolOptions {
  /** Append `+0x<offset>` into the function. */
  showOffset?: boolean;
  /** Append ` [<module>]`. */
  showModule?: boolean;
  /** Demangle C++/Rust names (default true, as BCC). */
  demangle?: boolean;
}

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
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return out; // the process is gone (or not ours to read): nothing resolves
  }
  for (const line of text.split('\n')) {
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

  /** Reads the process's mappings now; a process that is gone resolves everything to `[unknown]`. */
  constructor(readonly pid: number) {
    this.maps = mappings(pid);
  }

  /** Whether any mapping was read (false for a process that had exited). */
  get alive(): boolean {
    return this.maps.length > 0;
  }

  /**
   * The function containing `addr` in the process, as BCC prints it: the name, `[unknown]`
   * when none, with `+0x<offset>` and ` [<file>]` on request.
   */
  sym(addr: bigint, opts: SymbolOptions = {}): string {
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
    let out = found ? (opts.demangle === false ? found.name : demangle(found.name)) : '[unknown]';
    if (found && opts.showOffset) out += `+0x${(fileOff - found.offset).toString(16)}`;
    if (opts.showModule) out += ` [${m.path.split('/').pop() ?? m.path}]`;
    return out;
  }
}

const perPid = new Map<number, UserSymbols>();

/**
 * Resolves a user address in process `pid` (BCC's BPF.sym with pid >= 0). The process's
 * mappings are read once and kept (as BCC's per-pid cache); {@link clearUserSymbolCache}
 * forgets them (after the process mapped more libraries, or exited).
 */
export function usym(addr: bigint, pid: number, opts: SymbolOptions = {}): string {
  let s = perPid.get(pid);
  if (!s?.alive) {
    s = new UserSymbols(pid);
    if (s.alive) perPid.set(pid, s);
  }
  return s.sym(addr, opts);
}

/** Forgets the cached mappings of `pid`, or of every process. */
export function clearUserSymbolCache(pid?: number): void {
  if (pid === undefined) perPid.clear();
  else perPid.delete(pid);
}
