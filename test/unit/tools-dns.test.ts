/** tcpconnect -d's DNS part without the kernel: parsing responses, the cache and its QUERY column. */
import { describe, expect, it } from 'vitest';
import { DnsCache, parseDnsAnswer } from '../../src/tools/dns-cache.js';
import { dnsPacket } from '../../src/tools/dns-program.js';

/** A response to one question for `name` with the given records (A: 4 bytes, AAAA: 16). */
function response(name: string, records: { type: number; data: number[] }[], flags = 0x8180): Buffer {
  const q = Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(records.length, 6);
  const rrs = records.map((r) => {
    const b = Buffer.alloc(12 + r.data.length);
    b.writeUInt16BE(0xc00c, 0); // the question's name, compressed
    b.writeUInt16BE(r.type, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt32BE(300, 6);
    b.writeUInt16BE(r.data.length, 10);
    Buffer.from(r.data).copy(b, 12);
    return b;
  });
  return Buffer.concat([h, q, ...rrs]);
}

describe('parseDnsAnswer', () => {
  it('reads the question and the A and AAAA answers (compressed names)', () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1];
    const a = parseDnsAnswer(
      response('www.example.com', [
        { type: 1, data: [93, 184, 216, 34] },
        { type: 5, data: [0xc0, 0x0c] }, // a CNAME is skipped
        { type: 28, data: v6 },
      ]),
    );
    expect(a).toEqual({ question: 'www.example.com', addresses: ['93.184.216.34', '2001:db8::1'] });
  });

  it('keeps only responses to one question with answers or the AA flag, as BCC', () => {
    expect(parseDnsAnswer(response('a.b', [{ type: 1, data: [1, 2, 3, 4] }], 0x0100))).toBeUndefined(); // a query
    expect(parseDnsAnswer(response('a.b', [], 0x8180))).toBeUndefined(); // no answers, not authoritative
    expect(parseDnsAnswer(response('a.b', [], 0x8580))).toEqual({ question: 'a.b', addresses: [] });
  });

  it('is undefined for short or malformed messages and stops at a pointer loop', () => {
    expect(parseDnsAnswer(Buffer.alloc(5))).toBeUndefined();
    const loop = response('a.b', [{ type: 1, data: [1, 2, 3, 4] }]);
    loop.writeUInt16BE(0xc00c, 12); // the question's name points at itself
    expect(parseDnsAnswer(loop)).toBeUndefined();
    const cut = response('a.b', [{ type: 1, data: [1, 2, 3, 4] }]);
    expect(parseDnsAnswer(cut.subarray(0, cut.length - 2))).toEqual({ question: 'a.b', addresses: [] });
  });
});

describe('DnsCache', () => {
  it("prints BCC's QUERY column: the name, the delay past 100 ms, localhost, No DNS Query", () => {
    let now = 1000;
    const c = new DnsCache({ now: () => now });
    c.addPacket(response('x.test', [{ type: 1, data: [10, 0, 0, 1] }]));
    expect(c.query('10.0.0.1')).toBe('x.test');
    now += 123.342;
    expect(c.query('10.0.0.1')).toBe('x.test (123.342ms)');
    expect(c.query('10.0.0.2')).toBe('No DNS Query');
    expect(c.query('127.0.0.1')).toBe('localhost');
    expect(c.query('::1')).toBe('localhost');
  });

  it('forgets answers after the TTL and the oldest past maxEntries', () => {
    let now = 0;
    const c = new DnsCache({ now: () => now, ttlMs: 1000, maxEntries: 2 });
    c.addPacket(response('a.test', [{ type: 1, data: [10, 0, 0, 1] }]));
    c.addPacket(response('b.test', [{ type: 1, data: [10, 0, 0, 2] }]));
    c.addPacket(response('c.test', [{ type: 1, data: [10, 0, 0, 3] }]));
    expect(c.query('10.0.0.1')).toBe('No DNS Query');
    expect(c.query('10.0.0.3')).toBe('c.test');
    now = 1001;
    expect(c.query('10.0.0.3')).toBe('No DNS Query');
  });

  it('dnsPacket gives back the datagram from the u32 words the program sends', () => {
    const pkt = response('x.test', [{ type: 1, data: [10, 0, 0, 1] }]);
    const words = Array.from({ length: 128 }, (_, i) => {
      const b = Buffer.alloc(4);
      if (4 * i < pkt.length) pkt.copy(b, 0, 4 * i, Math.min(pkt.length, 4 * i + 4));
      return b.readUInt32LE(0);
    });
    expect(dnsPacket({ len: pkt.length, words })).toEqual(pkt);
  });
});
