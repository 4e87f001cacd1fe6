import { describe, expect, it } from 'vitest';
import { decoded, encoded } from './helpers.js';

describe('fq_codel qdisc', () => {
  it('encodes the given TCA_FQ_CODEL_* attributes only (times in microseconds)', () => {
    const spec = {
      kind: 'fq_codel',
      limit: 1000,
      target: '5ms',
      interval: '100ms',
      flows: 1024,
      ecn: true,
    } as const;
    const e = encoded('qdisc', spec);
    expect(e.hex).toBe(
      '08000200e8030000' + '0800010088130000' + '08000300a0860100' + '0800050000040000' + '0800040001000000',
    );
    expect(decoded('qdisc', 'fq_codel', e.hex)).toEqual({
      limit: 1000,
      target: 5000,
      interval: 100_000,
      flows: 1024,
      ecn: true,
    });
    expect(encoded('qdisc', { kind: 'fq_codel' })).toEqual({ hex: '', nested: true });
  });
});
