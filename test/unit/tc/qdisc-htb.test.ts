import { describe, expect, it } from 'vitest';
import { resolveQdisc } from '../../../src/netlink/tc/qdisc.js';
import { decoded, encoded, kind } from './helpers.js';

describe('htb qdisc', () => {
  it('encodes tc_htb_glob (version 3, r2q, default class minor) and the direct queue length', () => {
    const e = encoded('qdisc', { kind: 'htb', defaultClass: '10' });
    expect(e.hex).toBe(
      '18000200' + '03000000' + '0a000000' + '10000000' + '0000000000000000' + '08000500' + 'e8030000',
    );
    expect(decoded('qdisc', 'htb', e.hex)).toEqual({ defaultClass: 0x10, r2q: 10, directQlen: 1000 });
    expect(encoded('qdisc', { kind: 'htb', defaultClass: '1:20' }).hex).toBe(
      encoded('qdisc', { kind: 'htb', defaultClass: 0x20 }).hex,
    );
  });

  it('sits at 1: under the root unless told otherwise; a handle has no minor', () => {
    expect(resolveQdisc({ kind: 'htb' })).toMatchObject({ handle: 0x10000, parent: 0xffffffff });
    expect(resolveQdisc({ kind: 'htb', handle: '5:', parent: '1:10' })).toMatchObject({
      handle: 0x50000,
      parent: 0x10010,
    });
    expect(() => resolveQdisc({ kind: 'htb', handle: '1:10' })).toThrow(/a qdisc handle has no minor/);
    expect(kind('qdisc', 'htb').validate({ kind: 'htb', defaultClass: '1:' })).toEqual([
      { path: 'defaultClass', message: 'invalid htb defaultClass "1:": no minor' },
    ]);
  });
});
