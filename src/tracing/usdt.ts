/**
 * The public USDT API (BCC's `USDT` class and `tplist`): list the probes of a binary or of a
 * running process with their argument specs, find which mapped file of a process holds a probe
 * (enabling by pid without a path), and show the argument readers the compiler generates.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import {
  parseUsdtArg,
  usdtLocations,
  usdtReaders,
  type UsdtArg,
  type UsdtContext,
  type UsdtLocation,
} from '../compiler/usdt.js';

export { parseUsdtArg, type UsdtArg };
import { resolveBinary } from './attach.js';

/** One site of a probe and its arguments. */
export interface UsdtSite {
  /** Address of the probe instruction (link-time virtual address). */
  pc: bigint;
  /** Address of the semaphore (0n: none). */
  semaphore: bigint;
  /** Each argument's spec as the note writes it (`-4@%eax`), and parsed. */
  args: { spec: string; arg: UsdtArg; ctype: string; description: string }[];
}

/** A probe of one binary (BCC's enumerate_probes entry, with tplist -vv's detail). */
export interface UsdtProbe {
  /** The binary or library holding it. */
  path: string;
  provider: string;
  name: string;
  /** Its sites (one probe may be inlined at several places). */
  sites: UsdtSite[];
}

/** x86-64 register names as the assembler writes them, by pt_regs field and size. */
const REG_NAMES: Record<string, Record<number, string>> = {
  ax: { 8: 'rax', 4: 'eax', 2: 'ax', 1: 'al' },
  bx: { 8: 'rbx', 4: 'ebx', 2: 'bx', 1: 'bl' },
  cx: { 8: 'rcx', 4: 'ecx', 2: 'cx', 1: 'cl' },
  dx: { 8: 'rdx', 4: 'edx', 2: 'dx', 1: 'dl' },
  si: { 8: 'rsi', 4: 'esi', 2: 'si', 1: 'sil' },
  di: { 8: 'rdi', 4: 'edi', 2: 'di', 1: 'dil' },
  bp: { 8: 'rbp', 4: 'ebp', 2: 'bp', 1: 'bpl' },
  sp: { 8: 'rsp', 4: 'esp', 2: 'sp', 1: 'spl' },
  ip: { 8: 'rip', 4: 'eip' },
};

function regName(reg: string, size: number): string {
  const r = REG_NAMES[reg]?.[size] ?? REG_NAMES[reg]?.[8];
  if (r) return `%${r}`;
  const suffix = { 8: '', 4: 'd', 2: 'w', 1: 'b' }[size] ?? '';
  return `%${reg}${suffix}`;
}

/** The spec text of a parsed argument, as the assembler writes it (`-4@%eax`, `8@-16(%rbp)`). */
export function usdtArgSpec(a: UsdtArg): string {
  const size = `${a.signed ? '-' : ''}${a.size}@`;
  if (a.kind === 'reg') return size + regName(a.reg, a.size);
  if (a.kind === 'imm') return `${size}$${a.value}`;
  return `${size}${a.disp !== 0n ? a.disp : ''}(${regName(a.reg, 8)})`;
}

/** The C type of an argument (BCC's get_probe_arg_ctype): `int32_t`, `uint64_t`, ... */
export function usdtArgCtype(a: UsdtArg): string {
  return `${a.signed ? '' : 'u'}int${a.size * 8}_t`;
}

/** BCC tplist's description of an argument: `4 signed bytes @ register %eax`. */
export function describeUsdtArg(a: UsdtArg): string {
  const head = `${a.size} ${a.signed ? 'signed' : 'unsigned'} bytes @ `;
  if (a.kind === 'reg') return `${head}register ${regName(a.reg, a.size)}`;
  if (a.kind === 'imm') return `${head}constant ${a.value}`;
  return `${head}${a.disp !== 0n ? `${a.disp}` : ''}(${regName(a.reg, 8)})`;
}

function group(path: string, locs: UsdtLocation[]): UsdtProbe[] {
  const by = new Map<string, UsdtProbe>();
  for (const l of locs) {
    const key = `${l.provider}:${l.name}`;
    let p = by.get(key);
    if (!p) {
      p = { path, provider: l.provider, name: l.name, sites: [] };
      by.set(key, p);
    }
    p.sites.push({
      pc: l.pc,
      semaphore: l.semaphore,
      args: l.args.map((arg) => ({
        spec: usdtArgSpec(arg),
        arg,
        ctype: usdtArgCtype(arg),
        description: describeUsdtArg(arg),
      })),
    });
  }
  return [...by.values()];
}

/** The files a process has mapped executable, its main binary first. */
function mappedFiles(pid: number): string[] {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`cannot read the mappings of process ${pid}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const line of maps.split('\n')) {
    const m = /^\S+ \S*x\S* \S+ \S+ \d+\s+(\/\S.*)$/.exec(line);
    const path = m?.[1];
    if (!path || path.endsWith(' (deleted)') || out.includes(path)) continue;
    out.push(path);
  }
  return out;
}

function probesOfFile(path: string): UsdtProbe[] {
  let elf: Buffer;
  try {
    elf = readFileSync(path);
  } catch (e) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return group(path, usdtLocations(elf, path));
  } catch {
    return []; // not an ELF file we can read
  }
}

/**
 * The USDT probes of a binary or library (`{ path }`: a path, library short name or command) or
 * of every file a running process has mapped (`{ pid }`), like BCC's `tplist -l PATH` /
 * `tplist -p PID` and `USDT(...).enumerate_probes()`.
 * @throws InvalidArgumentError for an unknown binary or a process that cannot be read.
 */
export function listUsdtProbes(target: { path: string } | { pid: number }): UsdtProbe[] {
  if ('path' in target) return probesOfFile(resolveBinary(target.path));
  return mappedFiles(target.pid).flatMap((f) => probesOfFile(f));
}

function splitProbe(probe: string): { provider: string | undefined; name: string } {
  const i = probe.indexOf(':');
  return i < 0
    ? { provider: undefined, name: probe }
    : { provider: probe.slice(0, i), name: probe.slice(i + 1) };
}

/** A USDT context by pid alone (BCC's `USDT(pid=N)`): the binary is found among the process's mappings. */
export interface UsdtPidContext {
  pid: number;
  /** Optional: a path narrows the search to one binary. */
  path?: string;
  probes: { probe: string; fnName: string }[];
}

/**
 * Turns contexts given by pid (no path) into contexts by path: each probe is looked up in the
 * files the process has mapped (main binary first). Contexts with a path pass through.
 * @throws InvalidArgumentError naming the probe and the pid when no mapped file has it.
 */
export function resolveUsdtContexts(contexts: (UsdtContext | UsdtPidContext)[]): UsdtContext[] {
  const out: UsdtContext[] = [];
  for (const c of contexts) {
    if (c.path !== undefined) {
      out.push({ path: c.path, probes: c.probes });
      continue;
    }
    const pid = (c as UsdtPidContext).pid;
    const all = listUsdtProbes({ pid });
    const byPath = new Map<string, UsdtContext>();
    for (const p of c.probes) {
      const want = splitProbe(p.probe);
      const hit = all.find(
        (x) => x.name === want.name && (want.provider === undefined || x.provider === want.provider),
      );
      if (!hit) {
        const known =
          [...new Set(all.map((x) => `${x.provider}:${x.name}`))].slice(0, 20).join(', ') || 'none';
        throw new InvalidArgumentError(
          `USDT probe "${p.probe}" is in no file process ${pid} has mapped (probes: ${known})`,
        );
      }
      const existing = byPath.get(hit.path);
      if (existing) existing.probes.push(p);
      else {
        const ctx = { path: hit.path, probes: [p] };
        byPath.set(hit.path, ctx);
        out.push(ctx);
      }
    }
  }
  return out;
}

/**
 * The C text the compiler prepends for an enabled probe (BCC's `USDT.get_text()`): one
 * `_bpf_readarg_<fnName>_<n>` reader per argument, which `bpf_usdt_readarg(n, ctx, &v)` calls.
 * @throws InvalidArgumentError when the binary has no such probe.
 */
export function usdtArgumentReaders(
  target: { path: string } | { pid: number },
  probe: string,
  fnName: string,
): string {
  const want = splitProbe(probe);
  const hit = listUsdtProbes(target).find(
    (x) => x.name === want.name && (want.provider === undefined || x.provider === want.provider),
  );
  if (!hit)
    throw new InvalidArgumentError(
      `no USDT probe "${probe}" in ${'path' in target ? target.path : `process ${target.pid}`}`,
    );
  return usdtReaders(
    fnName,
    hit.sites.map((s) => ({
      provider: hit.provider,
      name: hit.name,
      pc: s.pc,
      semaphore: s.semaphore,
      args: s.args.map((a) => a.arg),
    })),
  );
}
