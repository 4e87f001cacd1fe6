import { describe, expect, it } from 'vitest';
import { attrRun } from '../../src/netlink/schema.js';

const parseAttrs = (b: Buffer): { type: number; data: Buffer }[] =>
  [...attrRun(b)].map((a) => ({ type: a.id, data: a.data }));
import { xmitTicks } from '../../src/netlink/tc/ratespec.js';
import { resolveShaping } from '../../src/topology/checks.js';
import { htbQdisc, netemQdisc, shapingRequests, tbfQdisc } from '../../src/topology/shaping.js';

/** The tcmsg and the attributes of a built tc message. */
function decode(buf: Buffer): {
  ifindex: number;
  handle: number;
  parent: number;
  attrs: Map<number, Buffer>;
} {
  const body = buf.subarray(16);
  return {
    ifindex: body.readInt32LE(4),
    handle: body.readUInt32LE(8),
    parent: body.readUInt32LE(12),
    attrs: new Map(parseAttrs(body.subarray(20)).map((a) => [a.type, a.data])),
  };
}

describe('shaping qdisc messages', () => {
  it('tbf: root 1:, rate in bytes/s with an ethernet link layer, burst and a ~50 ms limit', () => {
    const m = decode(tbfQdisc(7, 20e6, 32768).message.build());
    expect(m).toMatchObject({ ifindex: 7, handle: 0x10000, parent: 0xffffffff });
    expect(m.attrs.get(1)?.toString()).toBe('tbf\0');
    const opts = new Map(parseAttrs(m.attrs.get(2) as Buffer).map((a) => [a.type, a.data]));
    const parms = opts.get(1) as Buffer;
    expect(parms.length).toBe(36);
    expect(parms.readUInt8(1)).toBe(1); // TC_LINKLAYER_ETHERNET
    expect(parms.readUInt32LE(8)).toBe(2_500_000); // 20 mbit/s in bytes/s
    expect(parms.readUInt32LE(24)).toBe(125_000); // limit: 50 ms at the rate
    expect(opts.get(6)?.readUInt32LE(0)).toBe(32768); // TCA_TBF_BURST
    expect(opts.has(4)).toBe(false); // no 64-bit rate below 2^32 bytes/s
  });

  it('tbf above 34 gbit/s carries the 64-bit rate', () => {
    const m = decode(tbfQdisc(1, 40e9, 1 << 20).message.build());
    const opts = new Map(parseAttrs(m.attrs.get(2) as Buffer).map((a) => [a.type, a.data]));
    expect(opts.get(4)?.readBigUInt64LE(0)).toBe(5_000_000_000n);
    expect((opts.get(1) as Buffer).readUInt32LE(8)).toBe(0xffffffff);
  });

  it('htb: root 1: with default class 1, and class 1:1 at the rate (rate = ceil)', () => {
    const [root, cls] = htbQdisc(3, 8e6, 16384).map((r) => decode(r.message.build()));
    expect(root).toMatchObject({ handle: 0x10000, parent: 0xffffffff });
    const init = parseAttrs(root?.attrs.get(2) as Buffer).find((a) => a.type === 2)?.data as Buffer;
    expect([init.readUInt32LE(0), init.readUInt32LE(8)]).toEqual([3, 1]);
    expect(cls).toMatchObject({ handle: 0x10001, parent: 0x10000 });
    const parms = parseAttrs(cls?.attrs.get(2) as Buffer).find((a) => a.type === 1)?.data as Buffer;
    expect(parms.readUInt32LE(8)).toBe(1_000_000);
    expect(parms.readUInt32LE(20)).toBe(1_000_000);
    // buffer: 16384 bytes at 1 MB/s = 16.384 ms = 256000 ticks of 64 ns
    expect(parms.readUInt32LE(24)).toBe(256_000);
  });

  it('netem: latency in 64 ns ticks and as 64-bit ns, loss as a fraction of 2^32', () => {
    const m = decode(netemQdisc(2, 0x10001, 10_000, 0.01).message.build());
    expect(m).toMatchObject({ handle: 0x100000, parent: 0x10001 });
    const opt = m.attrs.get(2) as Buffer;
    expect(opt.readUInt32LE(0)).toBe(156_250);
    expect(opt.readUInt32LE(8)).toBe(Math.round(0.01 * 0xffffffff));
    // TCA_NETEM_LATENCY64 is type 10 (the copy this replaced sent type 8, TCA_NETEM_RATE64: a
    // 10 ms delay also capped the link at 10,000,000 bytes/s)
    expect(opt.readUInt16LE(26)).toBe(10);
    expect(opt.readBigInt64LE(28)).toBe(10_000_000n);
  });

  it('combines rate and impairments: rate qdisc at the root, netem under it', () => {
    const reqs = shapingRequests(4, { qdisc: 'tbf', rate: 1e6, burst: 16384, delayUs: 5000 }, 'eth0');
    expect(reqs.map((r) => r.operation)).toEqual([
      'add tbf qdisc rate 1000000bit on eth0',
      'add netem qdisc on eth0',
    ]);
    expect(shapingRequests(4, { qdisc: 'htb', burst: 0, loss: 0.5 }, 'eth0').map((r) => r.operation)).toEqual(
      ['add netem qdisc on eth0'],
    );
  });

  // Regression: the bucket of a slow link with the default burst (16 KiB) takes more than
  // 2^31 ns to drain, and a 32-bit shift of the nanoseconds turned it negative: a RangeError
  // half-way through Network.up. The ticks are tc's, computed once in src/netlink.
  it.each(['55kbit', '50kbit', '9600', '1kbit'])(
    'a link shaped at %s with the default burst encodes the bucket as tc does',
    (rate) => {
      const problems: string[] = [];
      const s = resolveShaping({ rate }, 'links[0].shaping', (_p, m) => problems.push(m));
      expect(problems).toEqual([]);
      const bytesPerSecond = Math.floor((s.rate as number) / 8);
      for (const qdisc of ['tbf', 'htb'] as const) {
        const reqs = shapingRequests(5, { ...s, qdisc }, 'eth0');
        const last = decode((reqs.at(-1)?.message as { build(): Buffer }).build());
        const parms = parseAttrs(last.attrs.get(2) as Buffer).find((a) => a.type === 1)?.data as Buffer;
        expect(parms.readUInt32LE(qdisc === 'tbf' ? 28 : 24)).toBe(xmitTicks(bytesPerSecond, s.burst));
      }
    },
  );
});
