/**
 * The one ELF reader of tsbcc: the header, section headers (by index and by name), section
 * bytes, program headers and symbol tables of a little-endian ELF64 file, which is what every
 * BPF object and every x86_64/arm64 binary a uprobe or USDT probe goes into is. Every offset
 * and count is checked against the file before it is used: a truncated or damaged file is an
 * ElfFormatError naming the file and what is wrong, never a RangeError or a wrong answer.
 */
import { readFileSync } from 'node:fs';
import { ElfFormatError, InvalidArgumentError } from '../errors.js';

/** Section header types (`sh_type`) tsbcc's callers look for. */
export const SHT = {
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
} as const;

/** Section flag `SHF_EXECINSTR`: the section holds code. */
export const SHF_EXECINSTR = 0x4;
/** Program header type `PT_LOAD`: a loaded segment. */
export const PT_LOAD = 1;
/** Program header flag `PF_X`: the segment is executable. */
export const PF_X = 0x1;
/** Symbol types (`st_info & 0xf`) tsbcc's callers look for. */
export const STT = { FUNC: 2, SECTION: 3, GNU_IFUNC: 10 } as const;

const HEADER_SIZE = 64;
const SHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SYM_SIZE = 24;
/** `e_shstrndx` when the real index is in section 0's `sh_link`. */
const SHN_XINDEX = 0xffff;

/** One section header, with its name resolved. */
export interface ElfSection {
  /** Index in the section header table. */
  index: number;
  /** Name from the section header string table ('' when the file has none). */
  name: string;
  /** `sh_type` (see SHT). */
  type: number;
  /** `sh_flags`. */
  flags: number;
  /** `sh_addr`: the link-time virtual address of a loaded section, 0 otherwise. */
  addr: bigint;
  /** `sh_offset`: where the bytes are in the file. */
  offset: number;
  /** `sh_size` in bytes (the memory size for SHT_NOBITS, which has no bytes in the file). */
  size: number;
  /** `sh_link` (for a symbol table: its string table; for a relocation section: its symbols). */
  link: number;
  /** `sh_info` (for a relocation section: the section it applies to). */
  info: number;
  /** `sh_entsize`: the size of one entry of a table section, 0 otherwise. */
  entsize: number;
}

/** One program header (a segment). */
export interface ElfSegment {
  /** `p_type` (PT_LOAD = 1). */
  type: number;
  /** `p_flags` (PF_X = 1, PF_W = 2, PF_R = 4). */
  flags: number;
  /** `p_offset`: where the segment starts in the file. */
  offset: bigint;
  /** `p_vaddr`: its link-time virtual address. */
  vaddr: bigint;
  /** `p_filesz`: bytes of it in the file. */
  filesz: bigint;
  /** `p_memsz`: bytes of it in memory. */
  memsz: bigint;
}

/** One entry of a symbol table. */
export interface ElfSymbolEntry {
  /** Name from the table's string table ('' for a nameless symbol such as a section symbol). */
  name: string;
  /** `st_info & 0xf` (see STT). */
  type: number;
  /** `st_info >> 4` (0 local, 1 global, 2 weak). */
  bind: number;
  /** `st_shndx`: the section the symbol is defined in, 0 when undefined. */
  shndx: number;
  /** `st_value`: an address in a binary, an offset in its section in an object file. */
  value: bigint;
  /** `st_size`. */
  size: bigint;
}

/** A parsed little-endian ELF64 file over its bytes (nothing is copied). */
export class ElfFile {
  /** The file's bytes. */
  readonly bytes: Buffer;
  /** What the errors call the file (its path, or a description of where the bytes came from). */
  readonly source: string;
  /** `e_type` (1 relocatable object, 2 executable, 3 shared object or PIE). */
  readonly type: number;
  /** `e_machine` (62 x86_64, 183 aarch64, 247 BPF). */
  readonly machine: number;
  /** The section headers in table order (index 0 is the null section). */
  readonly sections: readonly ElfSection[];
  private segmentList?: ElfSegment[];

  /**
   * Parses the ELF header and the section headers of `bytes`.
   * @param source names the file in errors (its path, or e.g. "the compiled object").
   * @throws ElfFormatError when the bytes are not a little-endian ELF64 file, or the section
   *   header table or its string table lies outside them.
   */
  constructor(bytes: Buffer, source: string) {
    this.bytes = bytes;
    this.source = source;
    if (!isElf(bytes)) throw this.error('is not an ELF file (no \\x7fELF magic)');
    if (bytes.length < HEADER_SIZE)
      throw this.error(`is truncated: ${bytes.length} bytes, shorter than the ELF header`);
    if (bytes[4] !== 2)
      throw this.error(`is a ${bytes[4] === 1 ? '32-bit' : 'unknown-class'} ELF file; only ELF64 is read`);
    if (bytes[5] !== 1) throw this.error('is a big-endian ELF file; only little-endian is read');
    this.type = bytes.readUInt16LE(0x10);
    this.machine = bytes.readUInt16LE(0x12);
    this.sections = this.readSections();
  }

  /**
   * Reads and parses the file at `path`.
   * @throws InvalidArgumentError when the file cannot be read; ElfFormatError when it is not a
   *   valid little-endian ELF64 file.
   */
  static read(path: string): ElfFile {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new InvalidArgumentError(`cannot read ${path}: ${(e as Error).message}`);
    }
    return new ElfFile(bytes, path);
  }

  /** The first section called `name`, or undefined. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * The bytes of a section (a view, not a copy); empty for SHT_NOBITS.
   * @throws ElfFormatError when the section's bytes lie outside the file.
   */
  data(section: ElfSection): Buffer {
    if (section.type === SHT.NOBITS) return this.bytes.subarray(0, 0);
    this.checkRange(section.offset, section.size, `section ${describe(section)}`);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /**
   * The program headers (none in a relocatable object).
   * @throws ElfFormatError when the program header table lies outside the file.
   */
  get segments(): readonly ElfSegment[] {
    this.segmentList ??= this.readSegments();
    return this.segmentList;
  }

  /**
   * The entries of a symbol table section (SHT_SYMTAB or SHT_DYNSYM) in table order, so a
   * relocation's symbol index indexes the result; entry 0 is the null symbol.
   * @throws ElfFormatError when the section is not a symbol table, or it, its string table or a
   *   name lies outside the file.
   */
  symbols(table: ElfSection): ElfSymbolEntry[] {
    if (table.type !== SHT.SYMTAB && table.type !== SHT.DYNSYM)
      throw this.error(
        `has section ${describe(table)} of type ${table.type} where a symbol table was expected`,
      );
    const entsize = table.entsize || SYM_SIZE;
    if (entsize < SYM_SIZE)
      throw this.error(
        `has symbol table ${describe(table)} with entries of ${entsize} bytes (< ${SYM_SIZE})`,
      );
    const data = this.data(table);
    const strtabHeader = this.sections[table.link];
    if (!strtabHeader)
      throw this.error(
        `has symbol table ${describe(table)} linking to string table section ${table.link}, which does not exist`,
      );
    const strtab = this.data(strtabHeader);
    const out: ElfSymbolEntry[] = [];
    for (let o = 0; o + SYM_SIZE <= data.length; o += entsize) {
      const info = data[o + 4] ?? 0;
      out.push({
        name: this.string(strtab, data.readUInt32LE(o), `symbol ${out.length} of section ${describe(table)}`),
        type: info & 0xf,
        bind: info >> 4,
        shndx: data.readUInt16LE(o + 6),
        value: data.readBigUInt64LE(o + 8),
        size: data.readBigUInt64LE(o + 16),
      });
    }
    return out;
  }

  /**
   * The file offset of a link-time virtual address, through the PT_LOAD segment that holds it
   * in memory (what a uprobe, a USDT probe or its semaphore is placed at); undefined when no
   * loaded segment holds it.
   */
  fileOffset(vaddr: bigint): bigint | undefined {
    for (const p of this.segments) {
      if (p.type !== PT_LOAD) continue;
      if (vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz) return vaddr - p.vaddr + p.offset;
    }
    return undefined;
  }

  /** An ElfFormatError about this file. */
  error(problem: string): ElfFormatError {
    return new ElfFormatError(this.source, problem);
  }

  private readSections(): ElfSection[] {
    const b = this.bytes;
    const shoff = num(b.readBigUInt64LE(0x28));
    const shentsize = b.readUInt16LE(0x3a);
    let shnum = b.readUInt16LE(0x3c);
    let shstrndx = b.readUInt16LE(0x3e);
    if (shoff === 0) return [];
    if (shentsize < SHDR_SIZE) throw this.error(`has section headers of ${shentsize} bytes (< ${SHDR_SIZE})`);
    // extended numbering: counts that do not fit 16 bits are in section 0's header
    this.checkRange(shoff, SHDR_SIZE, 'section header 0');
    if (shnum === 0) shnum = num(b.readBigUInt64LE(shoff + 0x20));
    if (shstrndx === SHN_XINDEX) shstrndx = b.readUInt32LE(shoff + 0x28);
    this.checkRange(
      shoff,
      shnum * shentsize,
      `section header table (${shnum} entries of ${shentsize} bytes at offset ${shoff})`,
    );
    const raw = Array.from({ length: shnum }, (_, index) => {
      const o = shoff + index * shentsize;
      return {
        index,
        nameOff: b.readUInt32LE(o),
        type: b.readUInt32LE(o + 4),
        flags: num(b.readBigUInt64LE(o + 8)),
        addr: b.readBigUInt64LE(o + 0x10),
        offset: num(b.readBigUInt64LE(o + 0x18)),
        size: num(b.readBigUInt64LE(o + 0x20)),
        link: b.readUInt32LE(o + 0x28),
        info: b.readUInt32LE(o + 0x2c),
        entsize: num(b.readBigUInt64LE(o + 0x38)),
      };
    });
    let names: Buffer | undefined;
    if (shstrndx !== 0) {
      const strtab = raw[shstrndx];
      if (!strtab)
        throw this.error(`names its section name table as section ${shstrndx}, but has ${shnum} sections`);
      this.checkRange(strtab.offset, strtab.size, `section name table (section ${shstrndx})`);
      names = b.subarray(strtab.offset, strtab.offset + strtab.size);
    }
    return raw.map(({ nameOff, ...s }) => ({
      ...s,
      name: names ? this.string(names, nameOff, `section ${s.index}`) : '',
    }));
  }

  private readSegments(): ElfSegment[] {
    const b = this.bytes;
    const phoff = num(b.readBigUInt64LE(0x20));
    const phentsize = b.readUInt16LE(0x36);
    const phnum = b.readUInt16LE(0x38);
    if (phoff === 0 || phnum === 0) return [];
    if (phentsize < PHDR_SIZE) throw this.error(`has program headers of ${phentsize} bytes (< ${PHDR_SIZE})`);
    this.checkRange(
      phoff,
      phnum * phentsize,
      `program header table (${phnum} entries of ${phentsize} bytes at offset ${phoff})`,
    );
    return Array.from({ length: phnum }, (_, i) => {
      const p = phoff + i * phentsize;
      return {
        type: b.readUInt32LE(p),
        flags: b.readUInt32LE(p + 4),
        offset: b.readBigUInt64LE(p + 8),
        vaddr: b.readBigUInt64LE(p + 16),
        filesz: b.readBigUInt64LE(p + 32),
        memsz: b.readBigUInt64LE(p + 40),
      };
    });
  }

  /** The NUL-terminated string at `off` of a string table, the name of `what`. */
  private string(table: Buffer, off: number, what: string): string {
    const end = off < table.length ? table.indexOf(0, off) : -1;
    if (end < 0)
      throw this.error(
        off < table.length
          ? `has ${what} whose name at offset ${off} of its string table has no terminating NUL`
          : `has ${what} named at offset ${off}, past its string table (${table.length} bytes)`,
      );
    return table.toString('latin1', off, end);
  }

  private checkRange(offset: number, size: number, what: string): void {
    if (offset + size > this.bytes.length)
      throw this.error(
        `is truncated or damaged: ${what} spans bytes ${offset}..${offset + size}, past its end (${this.bytes.length} bytes)`,
      );
  }
}

/** Whether `bytes` start with the ELF magic `\x7fELF` (of any class and byte order). */
export function isElf(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === 0x7f454c46;
}

function describe(s: ElfSection): string {
  return s.name ? `${s.index} (${s.name})` : String(s.index);
}

/** A 64-bit file offset or size as a number; anything past 2^53 is past any file's end anyway. */
function num(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
