import { describe, expect, it } from 'vitest';
import { resolveClass, validateClass } from '../../../src/netlink/tc/class.js';
import { decoded, encoded } from './helpers.js';

describe('htb class', () => {
  it('encodes tc_htb_opt: rate and ceil in bytes/s, buffers in ticks, quantum, prio', () => {
    const e = encoded('class', {
      kind: 'htb',
      rate: '8mbit',
      ceil: '10mbit',
      burst: '15k',
      cburst: '20k',
      prio: 2,
    });
    expect(e.hex).toBe(
      '30000100' +
        '000100000000000040420f00' +
        '0001000000000000d0121300' +
        '80a90300' +
        '00e80300' +
        '00000000' +
        '00000000' +
        '02000000',
    );
    expect(decoded('class', 'htb', e.hex)).toEqual({ rate: 8e6, ceil: 10e6, prio: 2 });
  });

  it('defaults the parent to its qdisc and the bursts as tc does; refuses a ceiling below the rate', () => {
    const c = resolveClass({ kind: 'htb', classid: '1:10', rate: '1mbit' });
    expect(c).toMatchObject({ classid: 0x10010, parent: 0x10000 });
    expect(validateClass({ kind: 'htb', classid: '1:', rate: '2mbit', ceil: '1mbit', prio: 9 }, 'c')).toEqual(
      [
        { path: 'c.classid', message: 'invalid htb classid "1:": needs a major and a minor, e.g. "1:10"' },
        { path: 'c.ceil', message: 'htb ceil 1Mbit is below its rate 2Mbit' },
        { path: 'c.prio', message: 'invalid htb prio 9: 0-7' },
      ],
    );
  });
});
