/**
 * Finding a function's file offset in an ELF binary for uprobes: the symbol's address from
 * .symtab or .dynsym, converted to a file offset through the program headers.
 */
import { InvalidArgumentError } from '../errors.js';
import { ElfFile, PF_X, PT_LOAD, SHT, STT } from '../util/elf.js';

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
 * The function symbols of an ELF64 little-endian file: .symtab's first, then .dynsym's not
 * already seen, each with the file offset of its executable PT_LOAD segment.
 * @throws InvalidArgumentError when the file cannot be read; ElfFormatError (an
 *   InvalidArgumentError) naming the file when it is not such an ELF file or is damaged.
 */
export function elfFunctions(path: string): ElfSymbol[] {
  const elf = ElfFile.read(path);
  const loads = elf.segments.filter((p) => p.type === PT_LOAD && p.flags & PF_X);
  const out: ElfSymbol[] = [];
  const seen = new Set<string>();
  for (const want of [SHT.SYMTAB, SHT.DYNSYM]) {
    for (const table of elf.sections.filter((s) => s.type === want)) {
      for (const sym of elf.symbols(table)) {
        if (sym.type !== STT.FUNC && sym.type !== STT.GNU_IFUNC) continue;
        if (sym.shndx === 0 || sym.value === 0n) continue;
        if (seen.has(sym.name)) continue;
        const seg = loads.find((l) => sym.value >= l.vaddr && sym.value < l.vaddr + l.filesz);
        if (!seg) continue;
        seen.add(sym.name);
        out.push({
          name: sym.name,
          address: sym.value,
          size: sym.size,
          offset: sym.value - seg.vaddr + seg.offset,
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
 * @throws InvalidArgumentError when no loaded segment holds the address (ElfFormatError when
 *   the file is not a valid ELF64 file).
 */
export function vaddrToFileOffset(path: string, vaddr: bigint): bigint {
  const off = ElfFile.read(path).fileOffset(vaddr);
  if (off === undefined)
    throw new InvalidArgumentError(`address 0x${vaddr.toString(16)} is in no loaded segment of ${path}`);
  return off;
}
