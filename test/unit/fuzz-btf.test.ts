/**
 * Property-based and fuzz tests of the BTF codec: random C types are written as BTF (ints,
 * floats, pointers, arrays, structs and unions with bitfields, enums, typedefs, qualifiers),
 * read back by the compiler's BTF reader into layouts, and turned into map codecs. Layouts match
 * what was written; codecs round-trip; truncated, mutated and cyclic BTF (and damaged ELF
 * headers) give a result or a typed error, never a RangeError, a stack overflow or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Btf, elfSection, mapLayoutsFromBtf } from '../../src/compiler/btf-layout.js';
import type { TypeLayout } from '../../src/compiler/type-layout.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { codecFor, encodeToBuffer } from '../../src/codec/codec.js';
import { fuzzParams, mutated, truncated, typedOrResult } from './helpers/fuzz.js';

const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  FLOAT: 16,
};

/** A C type as the generator makes it. */
type CType =
  | { k: 'int'; name: string; size: 1 | 2 | 4 | 8 | 16; signed: boolean; bool: boolean }
  | { k: 'float'; size: 4 | 8 }
  | { k: 'ptr'; to: CType }
  | { k: 'array'; el: CType; n: number }
  | { k: 'struct' | 'union'; name: string; members: Member[] }
  | { k: 'enum'; name: string; values: [string, number][] }
  | { k: 'typedef'; name: string; t: CType }
  | { k: 'const' | 'volatile'; t: CType };
type Member = { name: string; t: CType; bits?: number };

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const intType: fc.Arbitrary<CType> = fc.record({
  k: fc.constant('int' as const),
  name: fc.constantFrom('int', 'unsigned int', 'long', 'u8', 'u16', 's64', '__u128'),
  size: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const, 16 as const),
  signed: fc.boolean(),
  bool: fc.boolean(),
});
/** Types safe inside unions (no bool or float: their decoders normalise bytes). */
const { ctype } = fc.letrec<{ ctype: CType; plain: CType }>((tie) => ({
  ctype: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    intType,
    fc.record({ k: fc.constant('float' as const), size: fc.constantFrom(4 as const, 8 as const) }),
    fc.record({ k: fc.constant('ptr' as const), to: tie('ctype') }),
    fc.record({ k: fc.constant('array' as const), el: tie('ctype'), n: fc.nat(4) }),
    fc.record({
      k: fc.constantFrom('struct' as const),
      name: ident,
      members: fc.uniqueArray(
        fc.oneof(
          fc.record({ name: ident, t: tie('ctype') }),
          fc.record({
            name: ident,
            t: fc.constant<CType>({ k: 'int', name: 'u32', size: 4, signed: false, bool: false }),
            bits: fc.integer({ min: 1, max: 16 }),
          }),
        ),
        { maxLength: 5, selector: (m) => m.name },
      ),
    }),
    fc.record({
      k: fc.constant('union' as const),
      name: ident,
      members: fc.uniqueArray(fc.record({ name: ident, t: tie('plain') }), {
        maxLength: 4,
        selector: (m) => m.name,
      }),
    }),
    fc.record({
      k: fc.constant('enum' as const),
      name: ident,
      values: fc.array(fc.tuple(ident, fc.integer({ min: -1000, max: 1000 })), { maxLength: 4 }),
    }),
    fc.record({ k: fc.constant('typedef' as const), name: ident, t: tie('ctype') }),
    fc.record({ k: fc.constantFrom('const' as const, 'volatile' as const), t: tie('ctype') }),
  ),
  plain: fc.oneof(
    { depthSize: 'small' },
    intType.map((t) => ({ ...t, bool: false }) as CType),
    fc.record({ k: fc.constant('array' as const), el: tie('plain'), n: fc.nat(3) }),
    fc.record({
      k: fc.constant('struct' as const),
      name: ident,
      members: fc.uniqueArray(fc.record({ name: ident, t: tie('plain') }), {
        maxLength: 3,
        selector: (m) => m.name,
      }),
    }),
  ),
}));

/** Writes BTF: header, types, strings. Also returns what each type's layout must be. */
class BtfWriter {
  private types: Buffer[] = [];
  private strs: Buffer[] = [Buffer.from([0])];
  private strLen = 1;

  str(s: string): number {
    if (!s) return 0;
    const off = this.strLen;
    const b = Buffer.from(`${s}\0`);
    this.strs.push(b);
    this.strLen += b.length;
    return off;
  }

  add(
    name: string,
    kind: number,
    vlen: number,
    kflag: boolean,
    sizeOrType: number,
    extra: Buffer = Buffer.alloc(0),
  ): number {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(this.str(name), 0);
    h.writeUInt32LE((((kflag ? 1 : 0) << 31) | (kind << 24) | vlen) >>> 0, 4);
    h.writeUInt32LE(sizeOrType >>> 0, 8);
    this.types.push(Buffer.concat([h, extra]));
    return this.types.length;
  }

  blob(): Buffer {
    const types = Buffer.concat(this.types);
    const strs = Buffer.concat(this.strs);
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16LE(0xeb9f, 0);
    hdr.writeUInt8(1, 2);
    hdr.writeUInt32LE(24, 4);
    hdr.writeUInt32LE(0, 8);
    hdr.writeUInt32LE(types.length, 12);
    hdr.writeUInt32LE(types.length, 16);
    hdr.writeUInt32LE(strs.length, 20);
    return Buffer.concat([hdr, types, strs]);
  }
}

/** What the reader must report for a type: its kind and size, and members' offsets. */
interface Expect {
  id: number;
  kind: TypeLayout['kind'];
  size: number;
  align: number;
  fields?: { name: string; offset: number; bitOffset?: number; bitSize?: number }[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function emit(w: BtfWriter, t: CType): Expect {
  switch (t.k) {
    case 'int': {
      const enc = Buffer.alloc(4);
      enc.writeUInt32LE((((t.signed ? 1 : 0) | (t.bool ? 4 : 0)) << 24) | (t.size * 8), 0);
      const id = w.add(t.name, KIND.INT, 0, false, t.size, enc);
      return { id, kind: 'int', size: t.size, align: Math.min(t.size, 8) };
    }
    case 'float':
      return {
        id: w.add(t.size === 4 ? 'float' : 'double', KIND.FLOAT, 0, false, t.size),
        kind: 'float',
        size: t.size,
        align: t.size,
      };
    case 'ptr': {
      const to = emit(w, t.to);
      return { id: w.add('', KIND.PTR, 0, false, to.id), kind: 'pointer', size: 8, align: 8 };
    }
    case 'array': {
      const el = emit(w, t.el);
      const idx = emit(w, { k: 'int', name: 'int', size: 4, signed: true, bool: false });
      const extra = Buffer.alloc(12);
      extra.writeUInt32LE(el.id, 0);
      extra.writeUInt32LE(idx.id, 4);
      extra.writeUInt32LE(t.n, 8);
      return {
        id: w.add('', KIND.ARRAY, 0, false, 0, extra),
        kind: 'array',
        size: el.size * t.n,
        align: el.align,
      };
    }
    case 'struct':
    case 'union': {
      const members = t.members.map((m) => ({ m, e: emit(w, m.t) }));
      let off = 0; // bits
      let size = 0;
      let align = 1;
      const fields: NonNullable<Expect['fields']> = [];
      const extra = Buffer.alloc(12 * members.length);
      const kflag = members.some((x) => x.m.bits !== undefined);
      members.forEach(({ m, e }, i) => {
        align = Math.max(align, e.align);
        let bitOff: number;
        if (t.k === 'union') bitOff = 0;
        else if (m.bits !== undefined) {
          // a bitfield continues the current 32-bit unit when it fits, as C packs them
          if (Math.floor(off / 32) !== Math.floor((off + m.bits - 1) / 32)) off = alignUp(off, 32);
          bitOff = off;
          off += m.bits;
        } else {
          off = alignUp(off, e.align * 8);
          bitOff = off;
          off += e.size * 8;
        }
        size = t.k === 'union' ? Math.max(size, e.size) : off;
        extra.writeUInt32LE(w.str(m.name), 12 * i);
        extra.writeUInt32LE(e.id, 12 * i + 4);
        extra.writeUInt32LE(kflag ? ((m.bits ?? 0) << 24) | bitOff : bitOff, 12 * i + 8);
        const f: (typeof fields)[number] = { name: m.name, offset: Math.floor(bitOff / 8) };
        if (m.bits !== undefined) {
          f.offset = Math.floor(bitOff / 8 / e.size) * e.size;
          f.bitOffset = bitOff;
          f.bitSize = m.bits;
        }
        fields.push(f);
      });
      const bytes = alignUp(t.k === 'union' ? size : Math.ceil(size / 8), align);
      const id = w.add(
        t.name,
        t.k === 'struct' ? KIND.STRUCT : KIND.UNION,
        members.length,
        kflag,
        bytes,
        extra,
      );
      return { id, kind: t.k, size: bytes, align, fields };
    }
    case 'enum': {
      const extra = Buffer.alloc(8 * t.values.length);
      t.values.forEach(([n, v], i) => {
        extra.writeUInt32LE(w.str(n), 8 * i);
        extra.writeInt32LE(v, 8 * i + 4);
      });
      return {
        id: w.add(t.name, KIND.ENUM, t.values.length, true, 4, extra),
        kind: 'enum',
        size: 4,
        align: 4,
      };
    }
    case 'typedef': {
      const inner = emit(w, t.t);
      return { ...inner, id: w.add(t.name, KIND.TYPEDEF, 0, false, inner.id) };
    }
    case 'const':
    case 'volatile': {
      const inner = emit(w, t.t);
      return { ...inner, id: w.add('', t.k === 'const' ? KIND.CONST : KIND.VOLATILE, 0, false, inner.id) };
    }
  }
}

function build(t: CType): { blob: Buffer; root: Expect } {
  const w = new BtfWriter();
  const root = emit(w, t);
  return { blob: w.blob(), root };
}

/** Every type of a parsed blob laid out (what a map description does for its key and value). */
function layoutAll(btf: Btf, count: number): void {
  for (let id = 0; id <= count + 1; id++) btf.layout(id);
}

/** A minimal 64-bit little-endian ELF with one `.BTF` section. */
function elfWithBtf(btf: Buffer): Buffer {
  const shstr = Buffer.from('\0.BTF\0.shstrtab\0');
  const dataOff = 64;
  const shstrOff = dataOff + btf.length;
  const shoff = alignUp(shstrOff + shstr.length, 8);
  const elf = Buffer.alloc(shoff + 3 * 64);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf.writeUInt8(2, 4);
  elf.writeUInt8(1, 5);
  elf.writeBigUInt64LE(BigInt(shoff), 0x28);
  elf.writeUInt16LE(64, 0x3a);
  elf.writeUInt16LE(3, 0x3c);
  elf.writeUInt16LE(2, 0x3e);
  btf.copy(elf, dataOff);
  shstr.copy(elf, shstrOff);
  const sec = (i: number, name: number, off: number, size: number): void => {
    const o = shoff + i * 64;
    elf.writeUInt32LE(name, o);
    elf.writeBigUInt64LE(BigInt(off), o + 0x18);
    elf.writeBigUInt64LE(BigInt(size), o + 0x20);
  };
  sec(1, 1, dataOff, btf.length);
  sec(2, 6, shstrOff, shstr.length);
  return elf;
}

describe('the BTF codec', () => {
  it('reads back what was written: kinds, sizes, member offsets and bitfields', () => {
    fc.assert(
      fc.property(ctype, (t) => {
        const { blob, root } = build(t);
        const l = new Btf(blob).layout(root.id);
        expect(l.kind).toBe(root.kind);
        expect(l.size).toBe(root.size);
        if (root.fields && (l.kind === 'struct' || l.kind === 'union')) {
          expect(
            l.fields.map((f) => ({
              name: f.name,
              offset: f.offset,
              bitOffset: f.bitOffset,
              bitSize: f.bitSize,
            })),
          ).toEqual(root.fields.map((f) => ({ bitOffset: undefined, bitSize: undefined, ...f })));
        }
        // and the same through an ELF object's .BTF section, as compiled objects carry it
        const maps = [
          { name: 'm', btfKeyTypeId: root.id, btfValueTypeId: root.id } as {
            name: string;
            btfKeyTypeId: number;
            btfValueTypeId: number;
            key?: TypeLayout;
          },
        ];
        mapLayoutsFromBtf(elfWithBtf(blob), maps);
        expect(maps[0]?.key).toEqual(l);
      }),
      fuzzParams(500),
    );
  });

  it('codecs from BTF layouts round-trip any bytes, and refuse values of the wrong shape with a typed error', () => {
    fc.assert(
      fc.property(ctype, fc.uint8Array({ maxLength: 256 }), fc.anything({ maxDepth: 2 }), (t, raw, junk) => {
        const { blob, root } = build(t);
        const layout = new Btf(blob).layout(root.id);
        const codec = codecFor(layout);
        const bytes = Buffer.alloc(layout.size);
        Buffer.from(raw).copy(bytes);
        const v = codec.decode(bytes, 0);
        const again = codec.decode(encodeToBuffer(codec, v, 'value'), 0);
        expect(again).toEqual(v);
        const r = typedOrResult(() => encodeToBuffer(codec, junk, 'value'));
        if (!r.ok) expect(r.error).toBeInstanceOf(InvalidArgumentError);
      }),
      fuzzParams(500),
    );
  });

  it('truncated and mutated BTF: a layout or a typed error', () => {
    fc.assert(
      fc.property(
        ctype.chain((t) => {
          const { blob } = build(t);
          return fc.tuple(fc.constant(blob), fc.oneof(truncated(blob), mutated(blob)));
        }),
        ([orig, bad]) => {
          typedOrResult(() => layoutAll(new Btf(bad), Math.ceil(orig.length / 12)));
        },
      ),
      fuzzParams(1000),
    );
  });

  it('cyclic type graphs (a typedef, qualifier, array or pointer chain back to itself) give a typed error', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(KIND.TYPEDEF, KIND.CONST, KIND.VOLATILE, KIND.PTR, KIND.ARRAY, KIND.STRUCT),
          { minLength: 1, maxLength: 6 },
        ),
        (kinds) => {
          const w = new BtfWriter();
          kinds.forEach((kind, i) => {
            const next = ((i + 1) % kinds.length) + 1; // the last one points back at the first
            if (kind === KIND.ARRAY) {
              const extra = Buffer.alloc(12);
              extra.writeUInt32LE(next, 0);
              extra.writeUInt32LE(next, 4);
              extra.writeUInt32LE(2, 8);
              w.add('', kind, 0, false, 0, extra);
            } else if (kind === KIND.STRUCT) {
              const extra = Buffer.alloc(12);
              extra.writeUInt32LE(w.str('self'), 0);
              extra.writeUInt32LE(next, 4);
              w.add('s', kind, 1, false, 8, extra);
            } else w.add(kind === KIND.TYPEDEF ? 't' : '', kind, 0, false, next);
          });
          const btf = new Btf(w.blob());
          typedOrResult(() => layoutAll(btf, kinds.length));
        },
      ),
      fuzzParams(200),
    );
  });

  it('damaged ELF headers: the .BTF section or nothing, or a typed error', () => {
    const { blob } = build({
      k: 'struct',
      name: 's',
      members: [{ name: 'a', t: { k: 'int', name: 'int', size: 4, signed: true, bool: false } }],
    });
    const elf = elfWithBtf(blob);
    expect(elfSection(elf, '.BTF')).toEqual(blob);
    fc.assert(
      fc.property(
        fc.oneof(
          truncated(elf),
          mutated(elf.subarray(0, 64)).map((h) => Buffer.concat([h, elf.subarray(64)])),
          mutated(elf),
        ),
        (bad) => {
          typedOrResult(() => elfSection(bad, '.BTF'));
          typedOrResult(() => mapLayoutsFromBtf(bad, [{ name: 'm', btfKeyTypeId: 1, btfValueTypeId: 1 }]));
        },
      ),
      fuzzParams(1000),
    );
  });
});
