/**
 * Fast paths for repeated values (src/codec/repeats.ts) in the compiled decoders: cached `char`
 * array strings and 64-bit integers below 256 from a shared table must decode exactly what the
 * closure decoders give, for records whose values repeat (cache hits), differ only after the NUL,
 * collide in the cache, never repeat (the bypass), and for 64-bit values around every edge of
 * the small-value check.
 */
import { describe, expect, it } from 'vitest';
import { batchDecoder, closureDecoder, codecFor, viewOf } from '../../src/codec/codec.js';
import type { TypeLayout } from '../../src/compiler/type-layout.js';
import {
  MAX_CACHED_CHARS,
  cachedCharString,
  s64Buf,
  s64View,
  u64Buf,
  u64View,
} from '../../src/codec/repeats.js';

const char: TypeLayout = { kind: 'int', name: 'char', size: 1, signed: true, char: true };
const chars = (n: number): TypeLayout => ({
  kind: 'array',
  name: `char[${n}]`,
  size: n,
  length: n,
  element: char,
});
const u32: TypeLayout = { kind: 'int', name: 'u32', size: 4, signed: false };
const u64: TypeLayout = { kind: 'int', name: 'u64', size: 8, signed: false };
const s64: TypeLayout = { kind: 'int', name: 's64', size: 8, signed: true };
/** bench/events' event: what a tracing tool sends per record. */
const event: TypeLayout = {
  kind: 'struct',
  name: 'event',
  size: 64,
  fields: [
    { name: 'pid', offset: 0, type: u32 },
    { name: 'cpu', offset: 4, type: u32 },
    { name: 'seq', offset: 8, type: u64 },
    { name: 'ts', offset: 16, type: s64 },
    { name: 'comm', offset: 24, type: chars(16) },
    { name: 'pad', offset: 40, type: { kind: 'array', name: 'u64[3]', size: 24, length: 3, element: u64 } },
  ],
};

/** `count` records of `size` bytes, each filled by `fill`, in a view at an odd offset. */
function records(count: number, size: number, fill: (b: Buffer, o: number, i: number) => void): Buffer {
  const big = Buffer.alloc(count * size + 13);
  const b = big.subarray(13);
  for (let i = 0; i < count; i++) fill(b, i * size, i);
  return b;
}

/** Every record decoded by decode(), the batch decoder and the closure reference: all equal. */
function expectSame(layout: TypeLayout, b: Buffer, count: number): void {
  const reference = closureDecoder(layout, { strings: true });
  const codec = codecFor(layout, { strings: true });
  const batch = batchDecoder(codec);
  const v = viewOf(b);
  for (let i = 0; i < count; i++) {
    const o = i * layout.size;
    const want = reference(b, o);
    expect(codec.decode(b, o)).toEqual(want);
    expect(batch(b, o, v)).toEqual(want);
  }
}

const names = ['bash', 'node', 'sshd', 'kworker/0:1H', 'a', '', 'systemd-journal', 'x'.repeat(16)];

describe('cached char-array strings', () => {
  it('decode repeated, NUL-padded, garbage-after-NUL, non-ASCII and empty strings like the closure decoder', () => {
    const n = 2000;
    const b = records(n, 64, (b, o, i) => {
      b.writeUInt32LE(i, o);
      const name = names[i % names.length] as string;
      b.write(name, o + 24, 16, 'latin1');
      // bytes after the NUL differ between records with the same string (stack garbage)
      if (name.length < 15 && i % 3 === 0) b[o + 24 + name.length + 1] = (i * 7) & 0xff;
      if (i % 11 === 0) Buffer.from('caf\u00e9\u2603', 'utf8').copy(b, o + 24); // UTF-8, not latin1
      if (i % 13 === 0) b[o + 24] = 0xe9; // a lone high byte
    });
    expectSame(event, b, n);
  });

  it('decode every length up to the cached maximum (word and tail bytes) and one past it', () => {
    for (let len = 1; len <= MAX_CACHED_CHARS + 1; len++) {
      const layout = chars(len);
      const b = records(600, len, (b, o, i) => {
        const s = `${i % 5}abcdefghijklmnopqrstuvwxyz0123456789`.slice(0, i % (len + 1));
        b.write(s, o, len, 'latin1');
        if (i % 7 === 0) b[o + len - 1] = 0x41 + (i % 26); // a differing last (tail) byte
      });
      expectSame(layout, b, 600);
    }
  });

  it('keep returning the right string through collisions, eviction and the no-repeat bypass', () => {
    const slow = closureDecoder(chars(16), { strings: true }) as (b: Buffer, o: number) => string;
    for (const useView of [true, false]) {
      const dec = cachedCharString(16, slow, useView);
      // 3 windows of 4096 strings that never repeat (the cache bypasses itself), then 4000
      // records cycling through 1000 names (more than the 256 slots: collisions and evictions),
      // then 3000 records of 3 names
      const total = 3 * 4096 + 4000 + 3000;
      const b = records(total, 16, (b, o, i) => {
        const s = i < 3 * 4096 ? `u${i}` : i < 3 * 4096 + 4000 ? `c${i % 1000}` : `r${i % 3}`;
        b.write(s, o, 16, 'latin1');
      });
      const v = viewOf(b);
      for (let i = 0; i < total; i++) expect(dec(b, i * 16, v)).toBe(slow(b, i * 16));
    }
  });

  it('tell apart strings that share their first words and differ only in the last word or tail bytes', () => {
    for (const len of [16, 15]) {
      const slow = closureDecoder(chars(len), { strings: true }) as (b: Buffer, o: number) => string;
      for (const useView of [true, false]) {
        const dec = cachedCharString(len, slow, useView);
        // 600 names over 256 slots, identical up to their last 3 bytes: many share a slot
        const b = records(3000, len, (b, o, i) => {
          b.write(`process-ab${String(i % 600).padStart(3, '0')}`.slice(0, len), o, len, 'latin1');
          b[o + len - 1] = 0x30 + ((i >> 3) % 10); // the last byte (a tail byte when len = 15)
        });
        const v = viewOf(b);
        for (let i = 0; i < 3000; i++) expect(dec(b, i * len, v)).toBe(slow(b, i * len));
      }
    }
  });
});

describe('small 64-bit integers from the shared table', () => {
  const cases: bigint[] = [
    0n,
    1n,
    255n,
    256n,
    (1n << 32n) - 1n,
    1n << 32n,
    (1n << 32n) + 5n, // high word set, low word small: not small
    (1n << 63n) - 1n,
    1n << 63n,
    (1n << 64n) - 1n,
    (1n << 64n) - 200n,
  ];
  it('read the same u64 and s64 values as DataView and Buffer reads', () => {
    const b = records(cases.length, 8, (b, o, i) => b.writeBigUInt64LE(cases[i] as bigint, o));
    const v = viewOf(b);
    for (let i = 0; i < cases.length; i++) {
      const o = i * 8;
      expect(u64View(v, o)).toBe(b.readBigUInt64LE(o));
      expect(u64Buf(b, o)).toBe(b.readBigUInt64LE(o));
      expect(s64View(v, o)).toBe(b.readBigInt64LE(o));
      expect(s64Buf(b, o)).toBe(b.readBigInt64LE(o));
    }
  });

  it('decode structs of small, zero and negative 64-bit fields like the closure decoder', () => {
    const b = records(cases.length * 2, 64, (b, o, i) => {
      const x = cases[i % cases.length] as bigint;
      b.writeBigUInt64LE(x, o + 8);
      b.writeBigUInt64LE(BigInt.asUintN(64, -x), o + 16); // negative s64 values
      b.writeBigUInt64LE(x, o + 40);
      b.write('comm', o + 24, 'latin1');
    });
    expectSame(event, b, cases.length * 2);
    const v = codecFor<{ ts: bigint; pad: bigint[] }>(event, { strings: true }).decode(b, 64);
    expect(v.ts).toBe(-1n);
    expect(typeof v.pad[0]).toBe('bigint');
  });
});
