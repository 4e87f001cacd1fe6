/**
 * Finding a function's file offset in an ELF binary for uprobes: the symbol's address from
 * .symtab or .dynsym, converted to a file offset through the program headers.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';

/** One function symbol of a binary. */
export interface ElfSymbol {
  name: string;
  /** Virtual address as the ELF says. */
  address: bigint;
  size: bigint;
  /** File offset, what a uprobe is placed at. */
  offset: bigint;
}

/**
 * The function symbols of an ELF64 little-endian file.
 * @throws InvalidArgumentError when the file is not such an ELF file.
 */
export function elfFunctions(path: string): ElfSymbol[] {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1)
    throw new InvalidArgumentError(`${path} is not a 64-bit little-endian ELF file`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const shoff = Number(b.readBigUInt64LE(0x28));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const loads: { vaddr: bigint; off: bigint; filesz: bigint }[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = b.readUInt32LE(p);
    const flags = b.readUInt32LE(p + 4);
    if (type === 1 && flags & 1)
      loads.push({
        off: b.readBigUInt64LE(p + 8),
        vaddr: b.readBigUInt64LE(p + 16),
        filesz: b.readBigUInt64LE(p + 32),
      });
  }
  const sections = Array.from({ length: shnum }, (_, i) => {
    const s = shoff + i * shentsize;
    return {
      type: b.readUInt32LE(s + 4),
      offset: Number(b.readBigUInt64LE(s + 24)),
      size: Number(b.readBigUInt64LE(s + 32)),
      link: b.readUInt32LE(s + 40),
      entsize: Number(b.readBigUInt64LE(s + 56)),
    };
  });
  const out: ElfSymbol[] = [];
  const seen = new Set<string>();
  for (const want of [2 /* SHT_SYMTAB */, 11 /* SHT_DYNSYM */]) {
    for (const sec of sections.filter((s) => s.type === want)) {
      const strtab = sections[sec.link];
      if (!strtab || sec.entsize === 0) continue;
      for (let o = sec.offset; o + 24 <= sec.offset + sec.size; o += sec.entsize) {
        const nameOff = b.readUInt32LE(o);
        const info = b[o + 4] ?? 0;
        const shndx = b.readUInt16LE(o + 6);
        const value = b.readBigUInt64LE(o + 8);
        if ((info & 0xf) !== 2 /* STT_FUNC */ && (info & 0xf) !== 10 /* STT_GNU_IFUNC */) continue;
        if (shndx === 0 || value === 0n) continue;
        const start = strtab.offset + nameOff;
        const name = b.toString('latin1', start, b.indexOf(0, start));
        if (seen.has(name)) continue;
        const seg = loads.find((l) => value >= l.vaddr && value < l.vaddr + l.filesz);
        if (!seg) continue;
        seen.add(name);
        out.push({
          name,
          address: value,
          size: b.readBigUInt64LE(o + 16),
          offset: value - seg.vaddr + seg.off,
        });
      }
    }
  }
  return out;
}

/**
 * The file offset of function `sym` in `path`.
 * @throws InvalidArgumentError naming the binary when the symbol is absent.
 */
export function symbolOffset(path: string, sym: string): bigint {
  const s = elfFunctions(path).find((x) => x.name === sym || x.name.split('@')[0] === sym);
  if (!s) throw new InvalidArgumentError(`no function "${sym}" in ${path}`);
  return s.offset;
}

/**
 * The file offset of a link-time virtual address (a USDT probe or semaphore address) through
 * the PT_LOAD program headers of `path`.
 * @throws InvalidArgumentError when no loaded segment holds the address.
 */
export function vaddrToFileOffset(path: string, vaddr: bigint): bigint {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1)
    throw new InvalidArgumentError(`${path} is not a 64-bit little-endian ELF file`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (b.readUInt32LE(p) !== 1) continue;
    const off = b.readBigUInt64LE(p + 8);
    const va = b.readBigUInt64LE(p + 16);
    const memsz = b.readBigUInt64LE(p + 40);
    if (vaddr >= va && vaddr < va + memsz) return vaddr - va + off;
  }
  throw new InvalidArgumentError(`address 0x${vaddr.toString(16)} is in no loaded segment of ${path}`);
}
