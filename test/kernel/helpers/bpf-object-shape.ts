/**
 * What of a BPF ELF object reaches the kernel, for comparing two compiles of one program: the
 * bytes of every code and data section, the relocations of the code (offset, type, symbol
 * name) and the CO-RE relocations (instruction, kind, access string, and the layout of the
 * type they start from). Left out: the BTF and DWARF themselves (type ids and the set of
 * unused types differ with the header a program was compiled against), symbol and string
 * tables (their order follows the debug sections).
 */
import { Btf } from '../../../src/compiler/btf-layout.js';
import { ElfFile, SHF_EXECINSTR, SHT } from '../../../src/util/elf.js';

interface Section {
  name: string;
  type: number;
  flags: number;
  data: Buffer;
  link: number;
  info: number;
}

function sections(file: ElfFile): Section[] {
  return file.sections.map((s) => ({ ...s, data: file.data(s) }));
}

function symbolNames(file: ElfFile, secs: Section[], symtabIndex: number): string[] {
  const symtab = file.sections[symtabIndex];
  if (!symtab) return [];
  // a section symbol has no name: name it by its section
  return file.symbols(symtab).map((s) => s.name || `<section ${secs[s.shndx]?.name ?? s.shndx}>`);
}

function btfString(btf: Buffer, off: number): string {
  const hdrLen = btf.readUInt32LE(4);
  const strOff = hdrLen + btf.readUInt32LE(16);
  const start = strOff + off;
  return btf.toString('latin1', start, btf.indexOf(0, start));
}

/** The CO-RE relocations of .BTF.ext, each with the layout of its type. */
function coreRelocations(secs: Section[]): string[] {
  const ext = secs.find((s) => s.name === '.BTF.ext')?.data;
  const raw = secs.find((s) => s.name === '.BTF')?.data;
  if (!ext || !raw || ext.readUInt32LE(4) < 32) return [];
  const btf = new Btf(raw);
  const hdrLen = ext.readUInt32LE(4);
  const off = hdrLen + ext.readUInt32LE(24);
  const len = ext.readUInt32LE(28);
  const out: string[] = [];
  if (len === 0) return out;
  const recSize = ext.readUInt32LE(off);
  for (let p = off + 4; p < off + len;) {
    const sec = btfString(raw, ext.readUInt32LE(p));
    const n = ext.readUInt32LE(p + 4);
    p += 8;
    for (let i = 0; i < n; i++, p += recSize) {
      const insn = ext.readUInt32LE(p);
      const typeId = ext.readUInt32LE(p + 4);
      const access = btfString(raw, ext.readUInt32LE(p + 8));
      const kind = ext.readUInt32LE(p + 12);
      out.push(`${sec}+${insn} kind ${kind} access ${access} on ${JSON.stringify(btf.layout(typeId))}`);
    }
  }
  return out;
}

/** The parts of an object that reach the kernel, as comparable strings per section. */
export function objectShape(elf: Buffer): Record<string, string> {
  const file = new ElfFile(elf, 'the compiled object');
  const secs = sections(file);
  const out: Record<string, string> = {};
  secs.forEach((s) => {
    if (
      !s.name ||
      s.name.startsWith('.BTF') ||
      s.name.startsWith('.debug') ||
      s.name.startsWith('.rel.debug')
    )
      return;
    if (
      s.name.startsWith('.rel.BTF') ||
      s.name === '.symtab' ||
      s.name === '.strtab' ||
      s.name === '.llvm_addrsig'
    )
      return;
    if (s.type === SHT.REL) {
      const target = secs[s.info];
      if (!target || !(target.flags & SHF_EXECINSTR)) return;
      const names = symbolNames(file, secs, s.link);
      const rels: string[] = [];
      for (let o = 0; o + 16 <= s.data.length; o += 16) {
        const info = s.data.readBigUInt64LE(o + 8);
        rels.push(
          `${s.data.readBigUInt64LE(o)} type ${info & 0xffffffffn} ${names[Number(info >> 32n)] ?? '?'}`,
        );
      }
      out[s.name] = rels.join('\n');
      return;
    }
    out[s.name] = s.data.toString('hex');
  });
  const core = coreRelocations(secs);
  if (core.length) out['CO-RE relocations'] = core.join('\n');
  return out;
}
