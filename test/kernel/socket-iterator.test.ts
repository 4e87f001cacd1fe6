import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachSocketFilter, BpfObject, compile, PacketSocket } from '../../src/index.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

// Accepts IPv4 ICMP echo requests whole; drops everything else.
const ACCEPT_ECHO = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
SEC("socket")
int accept_echo(struct __sk_buff *skb) {
  __u16 proto;
  __u8 ipproto, icmp_type, ihl;
  if (bpf_skb_load_bytes(skb, 12, &proto, 2) < 0 || proto != bpf_htons(ETH_P_IP)) return 0;
  if (bpf_skb_load_bytes(skb, 14, &ihl, 1) < 0) return 0;
  if (bpf_skb_load_bytes(skb, 23, &ipproto, 1) < 0 || ipproto != IPPROTO_ICMP) return 0;
  if (bpf_skb_load_bytes(skb, 14 + (ihl & 0xf) * 4, &icmp_type, 1) < 0 || icmp_type != 8) return 0;
  return skb->len;
}
char LICENSE[] SEC("license") = "GPL";
`;

// On a UDP socket: keeps datagrams whose payload starts with 'A'.
const ONLY_A = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int only_a(struct __sk_buff *skb) {
  __u8 c;
  if (bpf_skb_load_bytes(skb, 8, &c, 1) < 0) return 0;
  return c == 'A' ? skb->len : 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

function isEchoRequest(p: Buffer): boolean {
  return p.readUInt16BE(12) === 0x0800 && p[23] === 1 && p[14 + (p[14]! & 0xf) * 4] === 8;
}

/** Collects n packets from the iterator, failing after timeoutMs. */
async function take(it: AsyncIterableIterator<Buffer>, n: number, timeoutMs = 5000): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const timer = setTimeout(() => void it.return?.(), timeoutMs);
  try {
    for (;;) {
      if (out.length === n) break;
      const r = await it.next();
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

describe('socket filters with packets as an async iterator', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it('a raw socket receives only the packets its filter accepts', async () => {
    const obj = BpfObject.create(await compile(ACCEPT_ECHO));
    const sock = await PacketSocket.open({ netns: net.ns2, interface: net.if2 });
    try {
      sock.attach(obj.loadFunc('accept_echo', 'SOCKET_FILTER'));
      const it = sock.packets();
      // Traffic the filter refuses first (UDP, ARP, TCP SYNs), then 3 echo requests.
      nsExec(net.ns1, ['sh', '-c', `for i in 1 2 3; do echo x > /dev/udp/${net.ip2}/9999; done; true`]);
      nsExec(net.ns1, ['ping', '-c', '3', '-i', '0.05', '-W', '1', net.ip2]);
      const got = await take(it, 3);
      expect(got).toHaveLength(3);
      expect(got.every(isEchoRequest)).toBe(true);
      // Nothing else is queued: the next packet to arrive is the next echo request.
      nsExec(net.ns1, ['sh', '-c', `echo y > /dev/udp/${net.ip2}/9999; true`]);
      nsExec(net.ns1, ['ping', '-c', '1', '-W', '1', net.ip2]);
      const [next] = await take(it, 1);
      expect(next && isEchoRequest(next)).toBe(true);
      expect(sock.dropped).toBe(0);
      await it.return?.();
    } finally {
      sock.close();
      obj.close();
    }
  });

  it('the iterator ends when the socket closes and does not block the event loop', async () => {
    const obj = BpfObject.create(await compile(ACCEPT_ECHO));
    const sock = await PacketSocket.open({ netns: net.ns2, interface: net.if2 });
    // No echo requests are sent, so nothing passes the filter (IPv6 link noise included).
    sock.attach(obj.loadFunc('accept_echo', 'SOCKET_FILTER'));
    const it = sock.packets();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 60));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
    sock.close();
    obj.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('SO_ATTACH_BPF on an existing UDP socket (loopback) keeps only what the filter accepts', async () => {
    const obj = BpfObject.create(await compile(ONLY_A));
    const rx = createSocket('udp4');
    const tx = createSocket('udp4');
    try {
      rx.bind(0, '127.0.0.1');
      await once(rx, 'listening');
      const link = attachSocketFilter(rx, obj.loadFunc('only_a', 'SOCKET_FILTER'));
      const got: string[] = [];
      rx.on('message', (m) => got.push(m.toString()));
      const port = rx.address().port;
      for (const m of ['A1', 'B1', 'A2', 'B2', 'A3']) tx.send(m, port, '127.0.0.1');
      const deadline = Date.now() + 3000;
      while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['A1', 'A2', 'A3']);
      await link.close();
      tx.send('B3', port, '127.0.0.1');
      while (got.length < 4 && Date.now() < deadline + 3000) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['A1', 'A2', 'A3', 'B3']);
    } finally {
      rx.close();
      tx.close();
      obj.close();
    }
  });
});
