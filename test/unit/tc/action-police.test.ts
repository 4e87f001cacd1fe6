import { describe, expect, it } from 'vitest';
import { decodeAttrs } from '../../../src/netlink/schema.js';
import { TCA_POLICE } from '../../../src/netlink/tc/action/police.js';
import { rateTable, xmitTicks } from '../../../src/netlink/tc/ratespec.js';
import { decoded, encoded, kind } from './helpers.js';

describe('police action', () => {
  it('encodes tc_police (exceed verdict, burst in ticks, rate spec with the table cell_log), the rate table and the conform verdict', () => {
    const e = encoded('action', {
      kind: 'police',
      rate: '1mbit',
      burst: '10k',
      conform: 'pipe',
      exceed: 'drop',
    });
    const a = decodeAttrs(TCA_POLICE, Buffer.from(e.hex, 'hex'));
    expect(a.TBF).toMatchObject({ action: 2, burst: xmitTicks(125_000, 10_240), mtu: 0 });
    expect(a.TBF?.rate).toEqual({
      cell_log: 3,
      linklayer: 1,
      overhead: 0,
      cell_align: -1,
      mpu: 0,
      rate: 125_000,
    });
    expect(a.RATE?.equals(rateTable(125_000, 0).table)).toBe(true);
    expect(a.RESULT).toBe(3); // TC_ACT_PIPE
    // TCA_POLICE_TBF: index, action SHOT, limit, burst 1280000 ticks, mtu, rate spec, peakrate, refcnt, bindcnt, capab
    expect(e.hex.slice(0, 120)).toBe(
      '3c000100' +
        '00000000' +
        '02000000' +
        '00000000' +
        '00881300' +
        '00000000' +
        '0301' +
        '0000' +
        'ffff' +
        '0000' +
        '48e80100' +
        '00'.repeat(12) +
        '00'.repeat(12),
    );
    expect(decoded('action', 'police', e.hex)).toEqual({ rate: 1e6, exceed: 'drop', conform: 'pipe' });
  });

  it('sends the conform verdict only when it is not ok (as tc)', () => {
    const a = decodeAttrs(
      TCA_POLICE,
      Buffer.from(encoded('action', { kind: 'police', rate: '1mbit', burst: '10k' }).hex, 'hex'),
    );
    expect(a.RESULT).toBeUndefined();
  });

  it('checks rate, burst, peakrate with mtu, and verdicts', () => {
    expect(
      kind('action', 'police').validate(
        { kind: 'police', rate: '1mbit', peakrate: '2mbit', exceed: 'explode' },
        'a',
      ),
    ).toEqual([
      { path: 'a.burst', message: 'police needs a burst such as 10k' },
      { path: 'a.peakrate', message: 'police peakrate needs an mtu' },
      {
        path: 'a.exceed',
        message: 'invalid police exceed verdict "explode" (use ok, drop, pipe, reclassify, continue, stolen)',
      },
    ]);
  });
});
