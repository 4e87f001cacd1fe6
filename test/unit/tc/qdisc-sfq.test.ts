import { describe, expect, it } from 'vitest';
import { decoded, encoded } from './helpers.js';

describe('sfq qdisc', () => {
  it('encodes a bare tc_sfq_qopt', () => {
    const e = encoded('qdisc', { kind: 'sfq', perturb: 10, quantum: 1514, limit: 127 });
    expect(e).toEqual({ hex: 'ea050000' + '0a000000' + '7f000000' + '00000000' + '00000000', nested: false });
    expect(decoded('qdisc', 'sfq', e.hex)).toEqual({ quantum: 1514, perturb: 10, limit: 127 });
  });
});
