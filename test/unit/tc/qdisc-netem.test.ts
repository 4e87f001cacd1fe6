import { describe, expect, it } from 'vitest';
import { decoded, encoded, kind } from './helpers.js';

describe('netem qdisc', () => {
  it('encodes a bare tc_netem_qopt (ticks, limit, loss as a fraction of 2^32-1) then TCA_NETEM_LATENCY64', () => {
    const e = encoded('qdisc', { kind: 'netem', delay: '10ms', jitter: '1ms', loss: 1 });
    expect(e.nested).toBe(false);
    // latency 156250 ticks, limit 1000, loss 1% of 0xffffffff, gap 0, duplicate 0, jitter 15625;
    // then LATENCY64 (type 10, not RATE64's 8) = 10,000,000 ns
    expect(e.hex).toBe(
      '5a620200' +
        'e8030000' +
        '295c8f02' +
        '00000000' +
        '00000000' +
        '093d0000' +
        '0c000a00' +
        '8096980000000000',
    );
    expect(decoded('qdisc', 'netem', e.hex)).toMatchObject({ delay: 10_000, jitter: 1000, limit: 1000 });
  });

  it('refuses loss outside 0-100 percent', () => {
    expect(kind('qdisc', 'netem').validate({ kind: 'netem', loss: 120, delay: '3h' })).toEqual([
      { path: 'delay', message: 'invalid netem delay "3h": unknown unit "h" (use us, ms, s)' },
      { path: 'loss', message: 'invalid netem loss 120: 0-100 percent' },
    ]);
  });
});
