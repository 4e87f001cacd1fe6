import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { rateTable, usToTicks, xmitTicks } from '../../src/netlink/tc/ratespec.js';
import {
  formatHandle,
  formatRate,
  parseHandle,
  parseRate,
  parseSize,
  parseTime,
} from '../../src/netlink/tc/units.js';
import { checkInterfaceName, interfaceNameProblem } from '../../src/util/netns-path.js';

describe('tc units parsed at the edge', () => {
  it.each([
    ['128kbit', 128_000],
    ['10mbit', 10_000_000],
    ['1Gbit', 1e9],
    ['1mibit', 1024 * 1024],
    ['100bps', 800],
    ['1mbps', 8e6],
    ['1.5mbit', 1_500_000],
    ['9600', 9600],
    [2e6, 2e6],
  ] as const)('rate %s = %d bit/s', (text, bps) => {
    expect(parseRate(text)).toBe(bps);
  });

  it.each([
    ['12xbit', /invalid rate "12xbit": unknown unit "xbit" \(use bit, kbit/],
    ['fast', /invalid rate "fast": expected a number followed by/],
    ['0kbit', /invalid rate "0kbit": must be a positive number/],
    ['-5mbit', /expected a number/],
    ['', /expected a number/],
  ])('rate %j is refused', (text, msg) => {
    expect(() => parseRate(text)).toThrow(InvalidArgumentError);
    expect(() => parseRate(text)).toThrow(msg);
  });

  it.each([
    ['32k', 32768],
    ['1500', 1500],
    ['1500b', 1500],
    ['2m', 2 * 1024 * 1024],
    ['64kbit', 8192],
    ['1kb', 1024],
  ] as const)('size %s = %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('size and time errors name the field', () => {
    expect(() => parseSize('32q', 'tbf burst')).toThrow(/invalid tbf burst "32q": unknown unit "q"/);
    expect(parseTime('10ms')).toBe(10_000);
    expect(parseTime('1s')).toBe(1_000_000);
    expect(parseTime('250us')).toBe(250);
    expect(() => parseTime('3h', 'netem delay')).toThrow(/invalid netem delay "3h": unknown unit "h"/);
  });

  it.each([
    ['ffff:', 0xffff0000],
    ['1:10', 0x00010010],
    ['1:', 0x00010000],
    [':a', 0x0000000a],
    ['root', 0xffffffff],
    ['ingress', 0xfffffff1],
    ['FFFF:FFF2', 0xfffffff2],
    [0x10001, 0x10001],
  ] as const)('handle %s', (text, value) => {
    expect(parseHandle(text)).toBe(value);
  });

  it.each([
    ['1:10000', /minor "10000" is not 1-4 hex digits/],
    ['1', /no ":"/],
    ['g:1', /major "g" is not 1-4 hex digits/],
    [':', /empty major and minor/],
    ['1:2:3', /no ":"/],
  ])('handle %j is refused', (text, msg) => {
    expect(() => parseHandle(text, 'filter parent')).toThrow(new RegExp(`invalid filter parent "${text}": `));
    expect(() => parseHandle(text)).toThrow(msg);
  });

  it('formats handles and rates as tc prints them', () => {
    expect(formatHandle(0xffff0000)).toBe('ffff:');
    expect(formatHandle(0x10010)).toBe('1:10');
    expect(formatHandle(0xffffffff)).toBe('root');
    expect(formatRate(128_000)).toBe('128Kbit');
    expect(formatRate(1.5e6)).toBe('1.5Mbit');
    expect(formatHandle(parseHandle('7:abc'))).toBe('7:abc');
  });
});

describe('tc time and rate encodings (the kinds encode with these; their tests are test/unit/tc/)', () => {
  it('psched ticks are 64 ns: 1500 bytes at 1 MB/s take 1.5 ms', () => {
    expect(xmitTicks(1_000_000, 1500)).toBe(Math.floor(1500 * 15.625));
  });

  it('rate table: 256 cells, cell_log so the mtu fits', () => {
    const { table, cellLog } = rateTable(125_000, 1500);
    expect(cellLog).toBe(3);
    expect(table.length).toBe(1024);
    expect(table.readUInt32LE(0)).toBe(xmitTicks(125_000, 8));
    expect(table.readUInt32LE(255 * 4)).toBe(xmitTicks(125_000, 2048));
  });

  it('microseconds to ticks truncate, as tc_core_time2tick does', () => {
    expect(usToTicks(10_000)).toBe(156_250);
    expect(usToTicks(10_001)).toBe(156_265); // 156265.625
  });
});

describe('interface names checked by the kernel rules before any request', () => {
  it.each([
    ['eth0', undefined],
    ['a'.repeat(15), undefined],
    ['veth-ü', undefined], // 7 bytes; non-ASCII is fine when no byte is a kernel space
    ['a'.repeat(16), `interface name "${'a'.repeat(16)}" is longer than 15 bytes`],
    ['ünïcödé-näme', 'interface name "ünïcödé-näme" is longer than 15 bytes'],
    ['', 'empty interface name'],
    ['.', 'invalid interface name ".": "." and ".." are reserved'],
    [
      'a\tb',
      `invalid interface name "a\\tb": contains whitespace (byte 0x09) (no '/', ':', whitespace or NUL)`,
    ],
    ['lo\0x', `invalid interface name "lo\\u0000x": contains a NUL byte (no '/', ':', whitespace or NUL)`],
    ['là', `invalid interface name "là": contains whitespace (byte 0xa0) (no '/', ':', whitespace or NUL)`],
  ])('%j', (name, problem) => {
    expect(interfaceNameProblem(name)).toBe(problem);
    if (problem) expect(() => checkInterfaceName(name)).toThrow(new InvalidArgumentError(problem));
    else expect(() => checkInterfaceName(name)).not.toThrow();
  });
});
