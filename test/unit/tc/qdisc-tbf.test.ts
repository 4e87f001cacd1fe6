import { describe, expect, it } from 'vitest';
import { xmitTicks } from '../../../src/netlink/tc/ratespec.js';
import { decoded, encoded, kind } from './helpers.js';

describe('tbf qdisc', () => {
  it('encodes tc_tbf_qopt (rate in bytes/s, ethernet link layer, buffer in ticks, limit from latency) and TCA_TBF_BURST', () => {
    const e = encoded('qdisc', { kind: 'tbf', rate: '8mbit', burst: '10k', latency: '50ms' });
    expect(e.nested).toBe(true);
    // PARMS: rate {cell_log 0, linklayer 1, rate 1000000}, peakrate 0, limit 60240, buffer 160000, mtu 0; BURST 10240
    expect(e.hex).toBe(
      '28000100' +
        '000100000000000040420f00' +
        '000000000000000000000000' +
        '50eb0000' +
        '00710200' +
        '00000000' +
        '08000600' +
        '00280000',
    );
    expect(xmitTicks(1_000_000, 10240)).toBe(0x27100);
    expect(decoded('qdisc', 'tbf', e.hex)).toEqual({ rate: 8e6, burst: 10240, limit: 60240 });
  });

  it('carries rates above 2^32-1 bytes/s in TCA_TBF_RATE64', () => {
    const e = encoded('qdisc', { kind: 'tbf', rate: '40gbit', burst: '1m', limit: '2m' });
    expect(e.hex).toContain('0c000400' + '00f2052a01000000'); // 5e9 bytes/s
    expect(decoded('qdisc', 'tbf', e.hex)).toMatchObject({ rate: 40e9 });
  });

  it('reports bad values with their fields', () => {
    expect(kind('qdisc', 'tbf').validate({ kind: 'tbf', rate: '12xbit', peakrate: '2mbit' }, 'q')).toEqual([
      {
        path: 'q.rate',
        message:
          'invalid tbf rate "12xbit": unknown unit "xbit" (use bit, kbit, mbit, gbit, kibit, mibit, bps, kbps, mbps, gbps)',
      },
      { path: 'q.burst', message: 'tbf needs a burst such as 10k' },
      { path: 'q.peakrate', message: 'tbf peakrate needs an mtu' },
    ]);
    expect(() => kind('qdisc', 'tbf').encode({ kind: 'tbf', rate: '1mbit', burst: '32q' } as never)).toThrow(
      /invalid tbf burst "32q": unknown unit "q"/,
    );
  });
});
