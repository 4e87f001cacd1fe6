import { describe, expect, it } from 'vitest';
import { sprintf, clockTime } from '../../src/tools/format.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe("tools: Python's % formatting", () => {
  // Expected strings are what CPython 3 prints for the same format and arguments.
  it.each([
    ['%-18.9f %-16s', [1173253.856512, 'worker'], '1173253.856512000  worker          '],
    ['%-6d %-16s %4d %3d ', [123, 'cat', -1, 2], '123    cat                -1   2 '],
    ['%08o %04o ', [0o2000000, 0o644], '02000000 0644 '],
    ['%-9.3f', [0.0123], '0.012    '],
    ['%-*d|', [7, 42], '42     |'],
    ['%-12.12s|', ['averyveryverylongcomm'], 'averyveryver|'],
    ['%5.1f%%', [99.44], ' 99.4%'],
    ['%-16x %s', [0xffffffff811f3c01n, 'vfs'], 'ffffffff811f3c01 vfs'],
    ['%+d %d', [5, -5], '+5 -5'],
    ['%7.2f', [0.004], '   0.00'],
    ['%11d', [123456n], '     123456'],
    ['%.3e', [12345.678], '1.235e+04'],
    ['%05d', [-42], '-0042'],
    ['%x %#x', [255, 255], 'ff 0xff'],
  ] as const)('%s', (fmt, args, want) => {
    expect(sprintf(fmt, ...args)).toBe(want);
  });

  it('prints a Buffer up to its first NUL', () => {
    expect(sprintf('%-8s|', Buffer.from('abc\0def'))).toBe('abc     |');
  });

  it('names a missing argument', () => {
    expect(() => sprintf('%d %d', 1)).toThrow(InvalidArgumentError);
  });

  it('prints the time as HH:MM:SS', () => {
    expect(clockTime(new Date(2020, 0, 1, 7, 5, 9))).toBe('07:05:09');
  });
});
