import { describe, expect, it } from 'vitest';
import {
  codecFor,
  codecForSize,
  encodeToBuffer,
  formatIPv4,
  formatIPv6,
  formatMac,
  InvalidArgumentError,
  macToBigInt,
  parseIPv4,
  parseIPv6,
  parseMac,
  sumReducer,
  type TypeLayout,
} from '../../src/index.js';
import { perCpuCodec } from '../../src/maps/percpu.js';

const u8: TypeLayout = { kind: 'int', name: 'unsigned char', size: 1, signed: false };
const char: TypeLayout = { kind: 'int', name: 'char', size: 1, signed: true, char: true };
const u16: TypeLayout = { kind: 'int', name: 'unsigned short', size: 2, signed: false };
const s32: TypeLayout = { kind: 'int', name: 'int', size: 4, signed: true };
const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false, typedef: 'u32' };
const u64: TypeLayout = { kind: 'int', name: 'unsigned long long', size: 8, signed: false, typedef: 'u64' };
const s64: TypeLayout = { kind: 'int', name: 'long long', size: 8, signed: true };

// struct key { u32 saddr; u16 dport; u8 mac[6]; char comm[16]; u64 bytes; struct { u32 a; } inner; }
const key: TypeLayout = {
  kind: 'struct',
  name: 'key',
  size: 48,
  fields: [
    { name: 'saddr', offset: 0, type: u32 },
    { name: 'dport', offset: 4, type: u16 },
    { name: 'mac', offset: 6, type: { kind: 'array', name: 'u8[6]', size: 6, length: 6, element: u8 } },
    {
      name: 'comm',
      offset: 12,
      type: { kind: 'array', name: 'char[16]', size: 16, length: 16, element: char },
    },
    { name: 'bytes', offset: 32, type: u64 },
    {
      name: 'inner',
      offset: 40,
      type: { kind: 'struct', name: 'inner', size: 4, fields: [{ name: 'a', offset: 0, type: s32 }] },
    },
  ],
};

describe('codec from TypeLayout', () => {
  it('round-trips a nested struct with u64 as bigint and char arrays as strings on request', () => {
    const c = codecFor(key, { strings: true });
    const value = {
      saddr: parseIPv4('10.1.2.3'),
      dport: 443,
      mac: parseMac('02:00:00:aa:bb:cc'),
      comm: 'node',
      bytes: 1n << 40n,
      inner: { a: -5 },
    };
    const b = encodeToBuffer(c, value, 'k');
    expect(b.length).toBe(48);
    expect([...b.subarray(0, 4)]).toEqual([10, 1, 2, 3]);
    expect(b.readUInt16LE(4)).toBe(443);
    expect(b.readBigUInt64LE(32)).toBe(1n << 40n);
    const d = c.decode(b, 0) as Record<string, unknown>;
    expect(d).toEqual(value);
    expect(formatIPv4(d['saddr'] as number)).toBe('10.1.2.3');
    expect(formatMac(d['mac'] as Buffer)).toBe('02:00:00:aa:bb:cc');
  });

  it('decodes char arrays as Buffers by default', () => {
    const c = codecFor(key);
    const b = Buffer.alloc(48);
    b.write('ab', 12);
    const d = c.decode(b, 0) as Record<string, unknown>;
    expect(Buffer.isBuffer(d['comm'])).toBe(true);
    expect((d['comm'] as Buffer).subarray(0, 3).toString('latin1')).toBe('ab\0');
  });

  it('zeroes missing fields and accepts numbers for u64 and Buffers for whole structs', () => {
    const c = codecFor(key);
    const b = encodeToBuffer(c, { bytes: 7 }, 'k');
    expect(b.readBigUInt64LE(32)).toBe(7n);
    expect(b.readUInt32LE(0)).toBe(0);
    const raw = Buffer.alloc(48, 1);
    expect(encodeToBuffer(c, raw, 'k').equals(raw)).toBe(true);
  });

  it('names the field on a wrong shape', () => {
    const c = codecFor(key, { strings: true });
    expect(() => encodeToBuffer(c, { nope: 1 }, 'counts key')).toThrow(
      new InvalidArgumentError(
        'counts key.nope: struct key has no field "nope" (fields: saddr, dport, mac, comm, bytes, inner)',
      ),
    );
    expect(() => encodeToBuffer(c, { dport: 70000 }, 'k')).toThrow(
      /k\.dport: 70000 does not fit in unsigned short/,
    );
    expect(() => encodeToBuffer(c, { inner: { a: 'x' } }, 'k')).toThrow(
      /k\.inner\.a: expected an integer for int, got "x"/,
    );
    expect(() => encodeToBuffer(c, { comm: 'x'.repeat(17) }, 'k')).toThrow(
      /k\.comm: string of 17 bytes does not fit in char\[16\]/,
    );
    expect(() => encodeToBuffer(c, Buffer.alloc(3), 'k')).toThrow(/k: expected 48 bytes, got a Buffer of 3/);
    expect(() => encodeToBuffer(codecFor(u64), -1, 'v')).toThrow(/v: -1 does not fit in u64/);
  });

  it('handles signed 64-bit, 128-bit, enums, bools, floats, pointers, unions and anonymous members', () => {
    expect(codecFor(s64).decode(Buffer.from('ffffffffffffffff', 'hex'), 0)).toBe(-1n);
    const u128: TypeLayout = { kind: 'int', name: 'unsigned __int128', size: 16, signed: false };
    const big = (1n << 100n) + 5n;
    expect(codecFor(u128).decode(encodeToBuffer(codecFor(u128), big, 'x'), 0)).toBe(big);
    const e: TypeLayout = {
      kind: 'enum',
      name: 'enum color',
      size: 4,
      signed: false,
      values: { RED: 0, BLUE: 2 },
    };
    expect(codecFor(e).decode(Buffer.from([2, 0, 0, 0]), 0)).toBe(2);
    const bool: TypeLayout = { kind: 'int', name: '_Bool', size: 1, signed: false, bool: true };
    expect(codecFor(bool).decode(Buffer.from([1]), 0)).toBe(true);
    const dbl: TypeLayout = { kind: 'float', name: 'double', size: 8 };
    expect(codecFor(dbl).decode(encodeToBuffer(codecFor(dbl), 1.5, 'd'), 0)).toBe(1.5);
    const ptr: TypeLayout = { kind: 'pointer', name: 'void *', size: 8 };
    expect(codecFor(ptr).decode(Buffer.from('0100000000000080', 'hex'), 0)).toBe(0x8000000000000001n);
    const un: TypeLayout = {
      kind: 'union',
      name: 'u',
      size: 4,
      fields: [
        { name: 'w', offset: 0, type: u32 },
        { name: 'b', offset: 0, type: { kind: 'array', name: 'u8[4]', size: 4, length: 4, element: u8 } },
      ],
    };
    const d = codecFor(un).decode(Buffer.from([1, 2, 3, 4]), 0) as { w: number; b: Buffer };
    expect(d.w).toBe(0x04030201);
    expect([...d.b]).toEqual([1, 2, 3, 4]);
    const anon: TypeLayout = {
      kind: 'struct',
      name: 's',
      size: 8,
      fields: [
        { name: 'x', offset: 0, type: u32 },
        {
          name: '',
          offset: 4,
          type: { kind: 'union', name: '', size: 4, fields: [{ name: 'y', offset: 0, type: u32 }] },
        },
      ],
    };
    const ca = codecFor(anon);
    expect(ca.decode(encodeToBuffer(ca, { x: 1, y: 2 }, 's'), 0)).toEqual({ x: 1, y: 2 });
  });

  it('reads and writes bitfields', () => {
    // struct { u32 a:3; u32 b:5; s32 c:4; }
    const bf: TypeLayout = {
      kind: 'struct',
      name: 'bf',
      size: 4,
      fields: [
        { name: 'a', offset: 0, bitOffset: 0, bitSize: 3, type: u32 },
        { name: 'b', offset: 0, bitOffset: 3, bitSize: 5, type: u32 },
        { name: 'c', offset: 1, bitOffset: 8, bitSize: 4, type: s32 },
      ],
    };
    const c = codecFor(bf);
    const b = encodeToBuffer(c, { a: 5, b: 17, c: -3 }, 'bf');
    expect(b.readUInt32LE(0)).toBe(5 | (17 << 3) | (0xd << 8));
    expect(c.decode(b, 0)).toEqual({ a: 5, b: 17, c: -3 });
    expect(() => encodeToBuffer(c, { a: 8 }, 'bf')).toThrow(/bf\.a: 8 does not fit in a 3-bit field/);
  });

  it('arrays of structs and size-only codecs', () => {
    const arr: TypeLayout = { kind: 'array', name: 'u32[3]', size: 12, length: 3, element: u32 };
    const c = codecFor(arr);
    expect(c.decode(encodeToBuffer(c, [1, 2], 'a'), 0)).toEqual([1, 2, 0]);
    expect(codecForSize(4).decode(Buffer.from([1, 0, 0, 0]), 0)).toBe(1);
    expect(codecForSize(8).decode(Buffer.alloc(8), 0)).toBe(0n);
    expect(codecForSize(6).decode(Buffer.from([1, 2, 3, 4, 5, 6]), 0)).toEqual(
      Buffer.from([1, 2, 3, 4, 5, 6]),
    );
  });

  it('per-CPU values use 8-byte slots and reduce', () => {
    const c = perCpuCodec(codecFor(u32), 3);
    expect(c.size).toBe(24);
    const b = encodeToBuffer(c, [1, 2, 3], 'v');
    expect(b.readUInt32LE(8)).toBe(2);
    expect(c.decode(b, 0)).toEqual([1, 2, 3]);
    expect(c.decode(encodeToBuffer(c, 7, 'v'), 0)).toEqual([7, 7, 7]);
    expect(sumReducer([1n, 2n, 3n])).toBe(6n);
    expect(() => encodeToBuffer(c, [1], 'v')).toThrow(/needs 3 values \(one per possible CPU\), got 1/);
  });
});

describe('address helpers', () => {
  it('formats and parses IPv4, IPv6 and MAC', () => {
    expect(formatIPv4(parseIPv4('192.168.1.20'))).toBe('192.168.1.20');
    expect(formatIPv4(0xc0a80114, { hostOrder: true })).toBe('192.168.1.20');
    expect(parseIPv4('192.168.1.20', { hostOrder: true })).toBe(0xc0a80114);
    expect(formatIPv6(parseIPv6('2001:db8::1'))).toBe('2001:db8::1');
    expect(formatIPv6(parseIPv6('::ffff:10.0.0.1'))).toBe('::ffff:a00:1');
    expect(formatIPv6(Buffer.alloc(16))).toBe('::');
    expect(formatMac(macToBigInt('aa:bb:cc:dd:ee:ff'))).toBe('aa:bb:cc:dd:ee:ff');
    expect(() => parseIPv4('300.1.1.1')).toThrow(InvalidArgumentError);
    expect(() => parseMac('aa:bb')).toThrow(/"aa:bb" is not a MAC address/);
  });
});
