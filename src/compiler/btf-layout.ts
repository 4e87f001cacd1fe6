/**
 * Reads the BTF of a compiled BPF ELF object and turns its types into TypeLayouts (the
 * contract for map keys/values and events). Pure: bytes in, layouts out.
 */
import { CompileError, ElfFormatError } from '../errors.js';
import { ElfFile, isElf } from '../util/elf.js';
import type { FieldLayout, TypeLayout } from './type-layout.js';

const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

interface RawType {
  kind: number;
  name: string;
  vlen: number;
  kindFlag: boolean;
  sizeOrType: number;
  /** INT encoding word. */
  intInfo?: number;
  array?: { type: number; nelems: number };
  members?: { name: string; type: number; offset: number }[];
  enumValues?: Record<string, number>;
}

/**
 * Runs a reader over untrusted bytes: offsets and counts come from the bytes themselves, so a
 * damaged object makes Buffer reads go out of range (or, for a type graph that loops, the stack
 * overflow); either becomes a CompileError naming what was read.
 */
function reading<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError) throw new CompileError([], `malformed ${what}: ${e.message}`);
    throw e;
  }
}

/**
 * A named section (e.g. `.BTF`) of a 64-bit little-endian ELF, or undefined when the bytes are
 * not ELF or have no such section.
 * @throws CompileError when the ELF is not little-endian ELF64 or its section headers, names or
 *   the section's bytes lie outside the file.
 */
export function elfSection(elf: Buffer, wanted: string): Buffer | undefined {
  if (elf.length < 64 || !isElf(elf)) return undefined;
  try {
    const file = new ElfFile(elf, 'the compiled object');
    const s = file.section(wanted);
    return s && file.data(s);
  } catch (e) {
    if (e instanceof ElfFormatError)
      throw new CompileError([], `malformed ELF section headers: ${e.message}`);
    throw e;
  }
}

/** The types of a BTF blob, indexed by type id (0 = void). */
export class Btf {
  private readonly types: (RawType | undefined)[] = [undefined];
  private readonly cache = new Map<number, TypeLayout>();
  /** Types whose layout is being computed (a type met again on the way is a loop). */
  private readonly computing = new Set<number>();

  /** @throws CompileError when the data is not BTF or is damaged (counts or offsets past its end). */
  constructor(data: Buffer) {
    if (data.length < 24 || data.readUInt16LE(0) !== 0xeb9f)
      throw new CompileError([], 'the object has no valid BTF');
    reading('BTF', () => this.parse(data));
  }

  private parse(data: Buffer): void {
    const hdrLen = data.readUInt32LE(4);
    const typeOff = hdrLen + data.readUInt32LE(8);
    const typeLen = data.readUInt32LE(12);
    const strOff = hdrLen + data.readUInt32LE(16);
    const str = (off: number) => data.toString('utf8', strOff + off, data.indexOf(0, strOff + off));
    let p = typeOff;
    const end = typeOff + typeLen;
    while (p < end) {
      const nameOff = data.readUInt32LE(p);
      const info = data.readUInt32LE(p + 4);
      const sizeOrType = data.readUInt32LE(p + 8);
      p += 12;
      const t: RawType = {
        kind: (info >>> 24) & 0x1f,
        name: str(nameOff),
        vlen: info & 0xffff,
        kindFlag: info >>> 31 === 1,
        sizeOrType,
      };
      switch (t.kind) {
        case KIND.INT:
          t.intInfo = data.readUInt32LE(p);
          p += 4;
          break;
        case KIND.ARRAY:
          t.array = { type: data.readUInt32LE(p), nelems: data.readUInt32LE(p + 8) };
          p += 12;
          break;
        case KIND.STRUCT:
        case KIND.UNION:
          t.members = [];
          for (let i = 0; i < t.vlen; i++, p += 12)
            t.members.push({
              name: str(data.readUInt32LE(p)),
              type: data.readUInt32LE(p + 4),
              offset: data.readUInt32LE(p + 8),
            });
          break;
        case KIND.ENUM:
          t.enumValues = {};
          for (let i = 0; i < t.vlen; i++, p += 8)
            t.enumValues[str(data.readUInt32LE(p))] = data.readInt32LE(p + 4);
          break;
        case KIND.ENUM64:
          t.enumValues = {};
          for (let i = 0; i < t.vlen; i++, p += 12)
            t.enumValues[str(data.readUInt32LE(p))] = data.readUInt32LE(p + 4);
          break;
        case KIND.FUNC_PROTO:
          p += 8 * t.vlen;
          break;
        case KIND.VAR:
        case KIND.DECL_TAG:
          p += 4;
          break;
        case KIND.DATASEC:
          p += 12 * t.vlen;
          break;
        default:
          break;
      }
      this.types.push(t);
    }
  }

  /** The kind (a BTF_KIND_* number) and name of type `id`; undefined for void or an unknown id. */
  kindAndName(id: number): { kind: number; name: string } | undefined {
    const t = this.types[id];
    return t && { kind: t.kind, name: t.name };
  }

  /** The id of the struct/union/typedef named `name` (e.g. `struct data_t`, `data_t`), or 0. */
  findByName(spelling: string): number {
    const m = /^(struct|union|enum)\s+(\w+)$/.exec(spelling.trim());
    for (let id = 1; id < this.types.length; id++) {
      const t = this.types[id];
      if (!t) continue;
      if (m) {
        const kind = m[1] === 'struct' ? KIND.STRUCT : m[1] === 'union' ? KIND.UNION : KIND.ENUM;
        if (t.kind === kind && t.name === m[2]) return id;
      } else if ((t.kind === KIND.TYPEDEF || t.kind === KIND.INT) && t.name === spelling.trim()) return id;
    }
    return 0;
  }

  /**
   * The type id of the variable named `name`, or 0: a global, or a function's static (which
   * BTF names `function.name`).
   */
  varType(name: string): number {
    for (let id = 1; id < this.types.length; id++) {
      const t = this.types[id];
      if (t?.kind === KIND.VAR && (t.name === name || t.name.endsWith(`.${name}`))) return t.sizeOrType;
    }
    return 0;
  }

  /**
   * The layout of type `id`.
   * @throws CompileError when the type refers back to itself (damaged BTF) or nests too deeply.
   */
  layout(id: number): TypeLayout {
    return reading('BTF type graph', () => this.layoutOf(id));
  }

  private layoutOf(id: number): TypeLayout {
    const hit = this.cache.get(id);
    if (hit) return hit;
    if (this.computing.has(id)) throw new CompileError([], `malformed BTF: type ${id} contains itself`);
    this.computing.add(id);
    try {
      const l = this.compute(id);
      this.cache.set(id, l);
      return l;
    } finally {
      this.computing.delete(id);
    }
  }

  private compute(id: number): TypeLayout {
    const t = this.types[id];
    if (!t) return { kind: 'void', name: 'void', size: 0 };
    switch (t.kind) {
      case KIND.INT: {
        const enc = ((t.intInfo ?? 0) >>> 24) & 0xf;
        const l: TypeLayout = { kind: 'int', name: t.name, size: t.sizeOrType, signed: (enc & 1) !== 0 };
        if (enc & 4) l.bool = true;
        if (enc & 2 || t.name.endsWith('char')) l.char = true;
        return l;
      }
      case KIND.FLOAT:
        return { kind: 'float', name: t.name, size: t.sizeOrType };
      case KIND.PTR:
        return { kind: 'pointer', name: `${this.spell(t.sizeOrType, 1)} *`, size: 8 };
      case KIND.ARRAY: {
        const element = this.layoutOf(t.array?.type ?? 0);
        const length = t.array?.nelems ?? 0;
        return {
          kind: 'array',
          name: `${element.name}[${length}]`,
          size: element.size * length,
          length,
          element,
        };
      }
      case KIND.STRUCT:
      case KIND.UNION: {
        const fields: FieldLayout[] = (t.members ?? []).map((m) => {
          const bitOff = t.kindFlag ? m.offset & 0xffffff : m.offset;
          const bitSize = t.kindFlag ? m.offset >>> 24 : 0;
          const f: FieldLayout = {
            name: m.name,
            offset: Math.floor(bitOff / 8),
            type: this.layoutOf(m.type),
          };
          if (bitSize > 0 || bitOff % 8 !== 0) {
            const unit = f.type.size > 0 ? f.type.size : 1;
            f.offset = Math.floor(bitOff / 8 / unit) * unit;
            f.bitOffset = bitOff;
            f.bitSize = bitSize || f.type.size * 8;
          }
          return f;
        });
        const kind = t.kind === KIND.STRUCT ? 'struct' : 'union';
        return {
          kind,
          name: t.name ? `${kind} ${t.name}` : `${kind} <anonymous>`,
          size: t.sizeOrType,
          fields,
        };
      }
      case KIND.ENUM:
      case KIND.ENUM64:
        return {
          kind: 'enum',
          name: t.name ? `enum ${t.name}` : 'enum <anonymous>',
          size: t.sizeOrType,
          signed: t.kindFlag,
          values: t.enumValues ?? {},
        };
      case KIND.TYPEDEF: {
        const inner = this.layoutOf(t.sizeOrType);
        if (inner.kind === 'void') return inner;
        return { ...inner, typedef: t.name };
      }
      case KIND.FWD:
        return { kind: 'struct', name: `struct ${t.name}`, size: 0, fields: [] };
      default:
        return this.layoutOf(t.sizeOrType);
    }
  }

  private spell(id: number, depth = 0): string {
    const t = this.types[id];
    if (!t) return 'void';
    // a pointer or qualifier chain longer than any C declaration: a loop in damaged BTF
    if (depth > 64) throw new CompileError([], `malformed BTF: type ${id} points back to itself`);
    if (t.kind === KIND.TYPEDEF || t.kind === KIND.INT || t.kind === KIND.FLOAT) return t.name;
    if (t.kind === KIND.STRUCT) return `struct ${t.name}`;
    if (t.kind === KIND.UNION) return `union ${t.name}`;
    if (t.kind === KIND.PTR) return `${this.spell(t.sizeOrType, depth + 1)} *`;
    if (t.kind === KIND.CONST || t.kind === KIND.VOLATILE) return this.spell(t.sizeOrType, depth + 1);
    return this.layoutOf(id).name;
  }
}

/** The BTF of an ELF object, or undefined when it has none. */
export function objectBtf(elf: Buffer): Btf | undefined {
  const sec = elfSection(elf, '.BTF');
  return sec ? new Btf(sec) : undefined;
}

/**
 * Fills each map's key/value layout from the object's own BTF (libbpf-style objects, whose
 * maps carry BTF type ids), so tables decode without codecs given by hand. A type the
 * layouts cannot describe is left out and reported to `skipped`.
 */
export function mapLayoutsFromBtf(
  elf: Buffer,
  maps: {
    name: string;
    btfKeyTypeId: number;
    btfValueTypeId: number;
    key?: TypeLayout;
    value?: TypeLayout;
  }[],
  skipped: (map: string, why: string) => void = () => undefined,
): void {
  const btf = objectBtf(elf);
  if (!btf) return;
  for (const m of maps) {
    try {
      if (m.btfKeyTypeId && !m.key) m.key = btf.layout(m.btfKeyTypeId);
      if (m.btfValueTypeId && !m.value) m.value = btf.layout(m.btfValueTypeId);
    } catch (e) {
      skipped(m.name, (e as Error).message);
    }
  }
}
