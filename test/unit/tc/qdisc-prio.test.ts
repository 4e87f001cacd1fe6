import { describe, expect, it } from 'vitest';
import { decoded, encoded, kind } from './helpers.js';

describe('prio qdisc', () => {
  it("encodes a bare tc_prio_qopt with the kernel's default priomap", () => {
    const e = encoded('qdisc', { kind: 'prio' });
    expect(e).toEqual({ hex: '03000000' + '01020202010200000101010101010101', nested: false });
    expect(decoded('qdisc', 'prio', e.hex)).toEqual({
      bands: 3,
      priomap: [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    });
  });

  it('refuses a priomap naming bands it does not have', () => {
    expect(kind('qdisc', 'prio').validate({ kind: 'prio', bands: 2, priomap: [2] })).toEqual([
      { path: 'priomap', message: 'invalid prio priomap: 16 band numbers below 2 expected' },
    ]);
  });
});
