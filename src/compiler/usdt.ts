/**
 * USDT (SystemTap SDT) probes: reading a binary's `.note.stapsdt` notes and generating the
 * per-argument reader functions BCC-C's bpf_usdt_readarg()/bpf_usdt_readarg_p() call
 * (`_bpf_readarg_<handler>_<n>`). x86_64 operands: registers, immediates, memory at
 * `disp(%reg)`. Pure: bytes and text in, text out.
 */
import { readFile } from 'node:fs/promises';
import { CompileError, InvalidArgumentError } from '../errors.js';
import { ElfFile } from '../util/elf.js';

/** One argument of a probe location: its size/signedness and where it lives. */
export type UsdtArg =
  | { size: number; signed: boolean; kind: 'reg'; reg: string }
  | { size: number; signed: boolean; kind: 'imm'; value: bigint }
  | { size: number; signed: boolean; kind: 'mem'; reg: string; disp: bigint };

/** A probe site in a binary. */
export interface UsdtLocation {
  provider: string;
  name: string;
  /** Address of the probe instruction (link-time virtual address). */
  pc: bigint;
  /** Address of the semaphore, 0n when the probe has none. */
  semaphore: bigint;
  args: UsdtArg[];
}

/** What compile() needs to enable probes of one binary: which probe calls which handler. */
export interface UsdtContext {
  /** The binary or library with the probes. */
  path: string;
  /** `[provider:]name` and the program function that handles it. */
  probes: { probe: string; fnName: string }[];
}

/** An enabled probe, as the compiled object describes it for attaching (uprobes per location). */
export interface UsdtSpec {
  fnName: string;
  path: string;
  provider: string;
  name: string;
  locations: { pc: string; semaphore: string }[];
}

const REGS: Record<string, string> = {};
for (const [field, names] of Object.entries({
  ax: ['rax', 'eax', 'ax', 'al'],
  bx: ['rbx', 'ebx', 'bx', 'bl'],
  cx: ['rcx', 'ecx', 'cx', 'cl'],
  dx: ['rdx', 'edx', 'dx', 'dl'],
  si: ['rsi', 'esi', 'si', 'sil'],
  di: ['rdi', 'edi', 'di', 'dil'],
  bp: ['rbp', 'ebp', 'bp', 'bpl'],
  sp: ['rsp', 'esp', 'sp', 'spl'],
  ip: ['rip', 'eip'],
})) {
  for (const n of names) REGS[n] = field;
}
for (let i = 8; i <= 15; i++) for (const s of ['', 'd', 'w', 'b']) REGS[`r${i}${s}`] = `r${i}`;

/** Parses one operand spec such as `-4@%eax`, `8@-16(%rbp)` or `4@$5`. */
export function parseUsdtArg(spec: string): UsdtArg {
  const m = /^(-?)(\d+)@(.+)$/.exec(spec);
  if (!m) throw new InvalidArgumentError(`unsupported USDT argument "${spec}"`);
  const signed = m[1] === '-';
  const size = Number(m[2]);
  const op = m[3] ?? '';
  let r: RegExpExecArray | null;
  if ((r = /^%(\w+)$/.exec(op))) {
    const reg = REGS[r[1] ?? ''];
    if (!reg) throw new InvalidArgumentError(`unsupported USDT register in "${spec}"`);
    return { size, signed, kind: 'reg', reg };
  }
  if ((r = /^\$(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(op)))
    return { size, signed, kind: 'imm', value: BigInt(r[1] ?? '0') };
  if ((r = /^(-?(?:0x[0-9a-fA-F]+|\d+))?\(%(\w+)\)$/.exec(op))) {
    const reg = REGS[r[2] ?? ''];
    if (!reg) throw new InvalidArgumentError(`unsupported USDT register in "${spec}"`);
    return { size, signed, kind: 'mem', reg, disp: BigInt(r[1] ?? '0') };
  }
  throw new InvalidArgumentError(`unsupported USDT argument "${spec}"`);
}

/**
 * The probe sites of an ELF image (pc adjusted for prelinking through `.stapsdt.base`).
 * @param source names the image in errors (its path).
 * @throws ElfFormatError (an InvalidArgumentError) naming `source` when the image is not a
 *   little-endian ELF64 file or its section headers or notes lie outside it.
 */
export function usdtLocations(bytes: Buffer, source = 'the ELF image'): UsdtLocation[] {
  const elf = new ElfFile(bytes, source);
  const notesHeader = elf.section('.note.stapsdt');
  const base = elf.section('.stapsdt.base');
  if (!notesHeader) return [];
  const notes = elf.data(notesHeader);
  const out: UsdtLocation[] = [];
  const align4 = (n: number) => (n + 3) & ~3;
  let p = 0;
  while (p + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(p);
    const descsz = notes.readUInt32LE(p + 4);
    const type = notes.readUInt32LE(p + 8);
    const owner = notes.toString('latin1', p + 12, p + 12 + namesz - 1);
    const desc = p + 12 + align4(namesz);
    p = desc + align4(descsz);
    if (owner !== 'stapsdt' || type !== 3) continue;
    if (desc + Math.max(descsz, 24) > notes.length)
      throw elf.error(`has a stapsdt note at offset ${desc} of .note.stapsdt that ends past the section`);
    let pc = notes.readBigUInt64LE(desc);
    const linkBase = notes.readBigUInt64LE(desc + 8);
    const semaphore = notes.readBigUInt64LE(desc + 16);
    if (base && linkBase !== 0n) pc += base.addr - linkBase;
    const strs = notes.toString('latin1', desc + 24, desc + descsz).split('\0');
    const [provider = '', name = '', argText = ''] = strs;
    const args = argText.trim() ? argText.trim().split(/\s+/).map(parseUsdtArg) : [];
    out.push({ provider, name, pc, semaphore, args });
  }
  return out;
}

function cType(a: UsdtArg): string {
  const bits = a.size * 8;
  return `${a.signed ? 's' : 'u'}${bits}`;
}

function readExpr(a: UsdtArg): string {
  const t = cType(a);
  if (a.kind === 'reg') return `{ ${t} _v = (${t})ctx->${a.reg}; __builtin_memcpy(dest, &_v, sizeof(_v)); }`;
  if (a.kind === 'imm') return `{ ${t} _v = (${t})${a.value}ll; __builtin_memcpy(dest, &_v, sizeof(_v)); }`;
  return `{ ${t} _v = 0; if (bpf_probe_read_user(&_v, sizeof(_v), (void *)(ctx->${a.reg} + (${a.disp}ll)))) return -1; __builtin_memcpy(dest, &_v, sizeof(_v)); }`;
}

/** The C text of the readers for one enabled probe: `_bpf_readarg_<fn>_<n>` for each argument. */
export function usdtReaders(fnName: string, locations: UsdtLocation[]): string {
  const nargs = Math.max(0, ...locations.map((l) => l.args.length));
  const out: string[] = [];
  for (let i = 0; i < nargs; i++) {
    const size = Math.max(...locations.map((l) => l.args[i]?.size ?? 0));
    const lines = [
      `static inline __attribute__((always_inline)) int _bpf_readarg_${fnName}_${i + 1}(struct pt_regs *ctx, void *dest, unsigned long len) {`,
      `  if (len != ${size}) return -1;`,
    ];
    const first = locations[0]?.args[i];
    const same = locations.every(
      (l) =>
        JSON.stringify(l.args[i], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ===
        JSON.stringify(first, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
    if (same && first) {
      lines.push(`  ${readExpr(first)}`);
    } else {
      lines.push('  switch (PT_REGS_IP(ctx)) {');
      for (const l of locations) {
        const a = l.args[i];
        if (a) lines.push(`  case 0x${l.pc.toString(16)}ULL: ${readExpr(a)} break;`);
      }
      lines.push('  default: return -1;', '  }');
    }
    lines.push('  return 0;', '}');
    out.push(lines.join('\n'));
  }
  return out.join('\n');
}

/**
 * Resolves USDT contexts: reads each binary's probes, checks that every requested probe
 * exists, and returns the reader text and the attach description.
 * @throws CompileError naming the binary and probe when a probe is missing.
 */
export async function resolveUsdt(contexts: UsdtContext[]): Promise<{ header: string; specs: UsdtSpec[] }> {
  const parts: string[] = [];
  const specs: UsdtSpec[] = [];
  // the same probe of the same binary enabled for a handler twice (BCC's two USDT contexts of
  // one program by two pids) is one reader and one attach description
  const seen = new Set<string>();
  for (const ctx of contexts) {
    let elf: Buffer;
    try {
      elf = await readFile(ctx.path);
    } catch (e) {
      throw new InvalidArgumentError(`cannot read USDT binary ${ctx.path}: ${(e as Error).message}`);
    }
    const all = usdtLocations(elf, ctx.path);
    for (const { probe, fnName } of ctx.probes) {
      const id = JSON.stringify([ctx.path, probe, fnName]);
      if (seen.has(id)) continue;
      seen.add(id);
      const [provider, name] = probe.includes(':') ? probe.split(':', 2) : [undefined, probe];
      const locs = all.filter((l) => l.name === name && (provider === undefined || l.provider === provider));
      if (locs.length === 0) {
        const known = [...new Set(all.map((l) => `${l.provider}:${l.name}`))].join(', ') || 'none';
        throw new CompileError([], `USDT probe "${probe}" not found in ${ctx.path} (probes: ${known})`);
      }
      parts.push(usdtReaders(fnName, locs));
      specs.push({
        fnName,
        path: ctx.path,
        provider: locs[0]?.provider ?? '',
        name: name ?? '',
        locations: locs.map((l) => ({
          pc: `0x${l.pc.toString(16)}`,
          semaphore: `0x${l.semaphore.toString(16)}`,
        })),
      });
    }
  }
  return { header: `#pragma once\n${parts.join('\n')}\n`, specs };
}
