/**
 * What of a BPF ELF object reaches the kernel, for comparing two compiles of one program: the
 * bytes of every code and data section, the relocations of the code (offset, type, symbol
 * name) and the CO-RE relocations (instruction, kind, access string, and the layout of the
 * type they start from). Left out: the BTF and DWARF themselves (type ids and the set of
 * unused types differ with the header a program was compiled against), symbol and string
 * tables (their order follows the debug sections).
 */
import { Btf } from '../../../src/compiler/btf-layout.js';

interface Section {
  name: string;
  type: number;
  flags: number;
  data: Buffer;
  link: number;
  info: number;
}

const SHT_REL = 9;
const SHF_EXECINSTR = 0x4;

function sections(elf: Buffer): Section[] {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const raw = (i: number) => {
    const o = shoff + i * shentsize;
    const offset = Number(elf.readBigUInt64LE(o + 0x18));
    const size = Number(elf.readBigUInt64LE(o + 0x20));
    return {
      nameOff: elf.readUInt32LE(o),
      type: elf.readUInt32LE(o + 4),
      flags: Number(elf.readBigUInt64LE(o + 8)),
      data: elf.subarray(offset, offset + size),
      link: elf.readUInt32LE(o + 0x28),
      info: elf.readUInt32LE(o + 0x2c),
    };
  };
  const strtab = raw(shstrndx).data;
  return Array.from({ length: shnum }, (_, i) => {
    const r = raw(i);
    const name = strtab.toString('latin1', r.nameOff, strtab.indexOf(0, r.nameOff));
    return {
      name,
      type: r.type,
      flags: r.flags,
      data: r.type === 8 ? Buffer.alloc(0) : r.data,
      link: r.link,
      info: r.info,
    };
  });
}

function symbolNames(secs: Section[], symtabIndex: number): string[] {
  const symtab = secs[symtabIndex];
  if (!symtab) return [];
  const strtab = secs[symtab.link]?.data ?? Buffer.alloc(0);
  const out: string[] = [];
  for (let o = 0; o + 24 <= symtab.data.length; o += 24) {
    const nameOff = symtab.data.readUInt32LE(o);
    const shndx = symtab.data.readUInt16LE(o + 6);
    const name = strtab.toString('latin1', nameOff, strtab.indexOf(0, nameOff));
    // a section symbol has no name: name it by its section
    out.push(name || `<section ${secs[shndx]?.name ?? shndx}>`);
  }
  return out;
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
  const secs = sections(elf);
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
    if (s.type === SHT_REL) {
      const target = secs[s.info];
      if (!target || !(target.flags & SHF_EXECINSTR)) return;
      const names = symbolNames(secs, s.link);
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
