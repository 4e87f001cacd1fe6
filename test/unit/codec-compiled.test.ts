/**
 * Compiled decoders (src/codec/compiled.ts) against the closure decoders they replace: for
 * layouts covering every kind (signed/unsigned ints of each size, bool, enum, pointer, floats,
 * 128-bit and odd-sized ints, char arrays as bytes and strings, short and long arrays, nested and
 * anonymous structs/unions, named and unnamed bitfields, a field named __proto__), random bytes
 * at odd offsets of a buffer that is itself a view at an odd offset must decode to deep-equal
 * values through decode() (no DataView) and through the batch decoder (DataView).
 */
import { describe, expect, it } from 'vitest';
import {
  batchDecoder,
  closureDecoder,
  codecFor,
  codecForSize,
  decodesDetached,
  viewOf,
} from '../../src/codec/codec.js';
import type { FieldLayout, TypeLayout } from '../../src/compiler/type-layout.js';

const int = (size: number, signed: boolean, extra: object = {}): TypeLayout => ({
  kind: 'int',
  name: `${signed ? 's' : 'u'}${size * 8}`,
  size,
  signed,
  ...extra,
});
const char: TypeLayout = { kind: 'int', name: 'char', size: 1, signed: true, char: true };
const arr = (element: TypeLayout, length: number): TypeLayout => ({
  kind: 'array',
  name: `${element.name}[${length}]`,
  size: element.size * length,
  length,
  element,
});
const u32 = int(4, false);
const u64 = int(8, false);

const inner: TypeLayout = {
  kind: 'struct',
  name: 'inner',
  size: 16,
  fields: [
    { name: 'a', offset: 0, type: int(2, true) },
    { name: 'b', offset: 8, type: u64 },
  ],
};
const anonUnion: TypeLayout = {
  kind: 'union',
  name: '',
  size: 8,
  fields: [
    { name: 'as_u64', offset: 0, type: u64 },
    { name: 'as_s32', offset: 0, type: int(4, true) },
    { name: 'as_double', offset: 0, type: { kind: 'float', name: 'double', size: 8 } },
  ],
};
const everything: TypeLayout & { fields: FieldLayout[] } = {
  kind: 'struct',
  name: 'everything',
  size: 384,
  fields: [
    { name: 'u8', offset: 0, type: int(1, false) },
    { name: 's8', offset: 1, type: int(1, true) },
    { name: 'u16', offset: 2, type: int(2, false) },
    { name: 's16', offset: 4, type: int(2, true) },
    { name: 'flag', offset: 6, type: int(1, false, { bool: true }) },
    { name: 'u32', offset: 8, type: u32 },
    { name: 's32', offset: 12, type: int(4, true) },
    { name: 'u64', offset: 16, type: u64 },
    { name: 's64', offset: 24, type: int(8, true) },
    { name: 'u128', offset: 32, type: int(16, false) },
    { name: 's128', offset: 48, type: int(16, true) },
    { name: 'odd', offset: 64, type: int(3, false) },
    { name: 'f32', offset: 68, type: { kind: 'float', name: 'float', size: 4 } },
    { name: 'f64', offset: 72, type: { kind: 'float', name: 'double', size: 8 } },
    { name: 'ptr', offset: 80, type: { kind: 'pointer', name: 'void *', size: 8 } },
    {
      name: 'color',
      offset: 88,
      type: { kind: 'enum', name: 'color', size: 4, signed: true, values: { RED: 0 } },
    },
    { name: 'comm', offset: 92, type: arr(char, 16) },
    { name: 'raw', offset: 108, type: arr(int(1, false), 4) },
    { name: 'short', offset: 112, type: arr(u32, 3) },
    { name: 'long', offset: 124, type: arr(int(2, false), 20) },
    { name: 'nested', offset: 168, type: inner },
    { name: 'structs', offset: 184, type: arr(inner, 2) },
    { name: '', offset: 216, type: anonUnion },
    { name: 'lo', offset: 224, bitOffset: 224 * 8, bitSize: 3, type: u32 },
    { name: '', offset: 224, bitOffset: 224 * 8 + 3, bitSize: 5, type: u32 },
    { name: 'hi', offset: 224, bitOffset: 224 * 8 + 8, bitSize: 20, type: int(4, true) },
    { name: 'wide', offset: 232, bitOffset: 232 * 8 + 4, bitSize: 40, type: u64 },
    { name: '__proto__', offset: 240, type: u32 },
    { name: 'bools', offset: 244, type: arr(int(1, false, { bool: true }), 4) },
    { name: 'u64s', offset: 248, type: arr(u64, 17) },
  ],
};
/** The same without __proto__, which the closure decoders do not define (see the last test). */
const comparable: TypeLayout = {
  ...everything,
  fields: (everything as { fields: FieldLayout[] }).fields.filter((f) => f.name !== '__proto__'),
};
const union: TypeLayout = {
  kind: 'union',
  name: 'u',
  size: 16,
  fields: [
    { name: 'x', offset: 0, type: inner },
    { name: 'bytes', offset: 0, type: arr(int(1, false), 16) },
  ],
};

function randomBuffer(n: number, seed: number): Buffer {
  // a view at an odd offset of a larger buffer: byteOffset handling is part of the test
  const big = Buffer.alloc(n + 37);
  let x = seed;
  for (let i = 0; i < big.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    big[i] = x >>> 24;
  }
  return big.subarray(37);
}

describe('compiled decoders', () => {
  for (const [name, layout] of [
    ['every kind of field', comparable],
    ['a union', union],
    ['an array of structs', arr(inner, 40)],
    ['a lone u64', u64],
  ] as const) {
    for (const strings of [false, true]) {
      it(`decode the same values as the closure decoders: ${name}, strings ${strings}`, () => {
        const reference = closureDecoder(layout, { strings });
        const codec = codecFor(layout, { strings });
        const batch = batchDecoder(codec);
        for (let seed = 1; seed <= 20; seed++) {
          const b = randomBuffer(layout.size * 3 + 5, seed);
          const v = viewOf(b);
          for (const o of [0, 3, layout.size + 5]) {
            const want = reference(b, o);
            expect(codec.decode(b, o)).toEqual(want);
            expect(batch(b, o, v)).toEqual(want);
          }
        }
      });
    }
  }

  it('define a field named __proto__ as an own property, not the prototype', () => {
    const b = randomBuffer(everything.size, 7);
    const v = codecFor<Record<string, unknown>>(everything).decode(b, 0);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(typeof v['u64']).toBe('bigint');
    expect(typeof v['s128']).toBe('bigint');
  });

  it('decode values detached from the buffer (which event readers then reuse): byte arrays are copies', () => {
    const b = randomBuffer(comparable.size, 9);
    const codec = codecFor<Record<string, unknown>>(comparable);
    expect(decodesDetached(codec)).toBe(true);
    const before = closureDecoder(comparable)(b, 0);
    const v = batchDecoder(codec)(b, 0, viewOf(b));
    b.fill(0); // the reader refills its Buffer with the next chunk
    expect(v).toEqual(before);
    // codecs without a compiled decoder may hand out views: not detached
    expect(decodesDetached(codecForSize(4))).toBe(false);
    expect(
      decodesDetached({
        size: 4,
        decode: (x: Buffer, o: number) => x.subarray(o, o + 4),
        encode: () => undefined,
      }),
    ).toBe(false);
  });
});
