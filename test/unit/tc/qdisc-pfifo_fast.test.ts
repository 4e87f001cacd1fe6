import { describe, expect, it } from 'vitest';
import { newQdisc, resolveQdisc } from '../../../src/netlink/tc/qdisc.js';
import { decoded, encoded, kind } from './helpers.js';

describe('pfifo_fast qdisc', () => {
  it('takes no options, and is asked for as iproute2 does (TCA_KIND only)', () => {
    expect(encoded('qdisc', { kind: 'pfifo_fast' })).toEqual({ hex: '' });
    const m = newQdisc(7, resolveQdisc({ kind: 'pfifo_fast' })).build();
    m.writeUInt32LE(0, 8); // sequence number
    expect(m.toString('hex')).toBe(
      [
        '34000000 2400 0506 00000000 00000000', // nlmsghdr: len 52, RTM_NEWQDISC, create
        '00 000000 07000000 00000000 ffffffff 00000000', // tcmsg: ifindex 7, handle 0, parent root
        '0f00 0100 706669666f5f6661737400 00', // TCA_KIND "pfifo_fast\0"
      ]
        .join('')
        .replace(/\s+/g, ''),
    );
  });

  it("decodes the bands and priomap the kernel reports (tc_prio_qopt, the kernel's default map)", () => {
    expect(decoded('qdisc', 'pfifo_fast', '03000000' + '01020202010200000101010101010101')).toEqual({
      bands: 3,
      priomap: [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    });
  });

  it("is byte for byte what iproute2 6.1's `tc qdisc add dev lo root pfifo_fast` sent (strace)", () => {
    const captured =
      '3400000024000506b601136b00000000000000000100000000000000ffffffff000000000f000100706669666f5f666173740000';
    const m = newQdisc(1, resolveQdisc({ kind: 'pfifo_fast' })).build();
    m.writeUInt32LE(0x6b1301b6, 8); // the captured sequence number
    expect(m.toString('hex')).toBe(captured);
  });

  it('has nothing to validate but its kind', () => {
    expect(kind('qdisc', 'pfifo_fast').validate({ kind: 'pfifo_fast' })).toEqual([]);
  });
});
