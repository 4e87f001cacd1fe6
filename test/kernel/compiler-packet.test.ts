/**
 * BCC-C packet access on real packets: a socket filter parses ethernet/IPv4/ICMP through
 * cursor_advance and proto.h and records what it read; pings from another namespace must
 * show exactly the values on the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, PacketSocket } from '../../src/index.js';
import { namespacesMatching, nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

const PARSER = `
#include <bcc/proto.h>

enum { F_ETH_TYPE, F_VER, F_HLEN, F_TTL, F_PROTO, F_SRC, F_DST, F_ICMP_TYPE, F_COUNT, F_DF };
BPF_ARRAY(fields, u64, 16);

static inline void put(int i, u64 v) {
  u64 *slot = fields.lookup(&i);
  if (slot) *slot = v;
}

int parse(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IP) return 0;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  if (ip->nextp != IPPROTO_ICMP) return 0;
  struct icmp_t *icmp = cursor_advance(cursor, sizeof(*icmp));
  if (icmp->type != 8) return 0;
  put(F_ETH_TYPE, eth->type);
  put(F_VER, ip->ver);
  put(F_HLEN, ip->hlen);
  put(F_TTL, ip->ttl);
  put(F_PROTO, ip->nextp);
  put(F_SRC, ip->src);
  put(F_DST, ip->dst);
  put(F_ICMP_TYPE, icmp->type);
  put(F_DF, ip->df);
  fields.increment(F_COUNT);
  return 0;
}
`;

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256n + BigInt(o), 0n);

describe('BCC-C packet access on real traffic', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => {
    net.destroy();
    expect(namespacesMatching(net.ns1.slice(0, -2))).toEqual([]);
  });

  it('reads header fields (bytes, nibbles, single bits, 16/32-bit) as they are on the wire', async () => {
    const spec = await compile(PARSER, { name: 'parser', noCache: true });
    const obj = BpfObject.create(spec);
    const sock = await PacketSocket.open({ netns: net.ns2, interface: net.if2 });
    try {
      const link = sock.attach(obj.loadFunc('parse', 'SOCKET_FILTER'));
      nsExec(net.ns1, ['ping', '-c', '3', '-i', '0.05', '-W', '2', '-t', '37', net.ip2]);
      await link.close();
      const field = (i: number) => {
        const k = Buffer.alloc(4);
        k.writeUInt32LE(i);
        const v = obj.map('fields').lookup(k);
        if (!v) throw new Error(`slot ${i} missing`);
        return v.readBigUInt64LE(0);
      };
      expect(field(8)).toBe(3n); // echo requests seen
      expect(field(0)).toBe(0x0800n);
      expect(field(1)).toBe(4n);
      expect(field(2)).toBe(5n);
      expect(field(3)).toBe(37n);
      expect(field(4)).toBe(1n);
      expect(field(5)).toBe(ipNum(net.ip1));
      expect(field(6)).toBe(ipNum(net.ip2));
      expect(field(7)).toBe(8n);
      expect(field(9)).toBe(1n); // Linux pings set DF
    } finally {
      sock.close();
      obj.close();
    }
  });
});
