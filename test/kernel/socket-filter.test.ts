import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, PacketSocket, InvalidArgumentError } from '../../src/index.js';
import {
  loadedProgramIds,
  namespacesMatching,
  nsExec,
  vethPair,
  type VethPairFixture,
} from './helpers/netns.js';

// Counts IPv4 ICMP echo requests (type 8) seen by the socket; accepts nothing into the socket.
const COUNTER = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} echo_requests SEC(".maps");

SEC("socket")
int count_echo(struct __sk_buff *skb) {
  __u16 proto;
  __u8 ipproto, icmp_type, ihl;
  if (bpf_skb_load_bytes(skb, 12, &proto, 2) < 0 || proto != bpf_htons(ETH_P_IP)) return 0;
  if (bpf_skb_load_bytes(skb, 14, &ihl, 1) < 0) return 0;
  if (bpf_skb_load_bytes(skb, 23, &ipproto, 1) < 0 || ipproto != IPPROTO_ICMP) return 0;
  if (bpf_skb_load_bytes(skb, 14 + (ihl & 0xf) * 4, &icmp_type, 1) < 0 || icmp_type != 8) return 0;
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&echo_requests, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

function count(obj: BpfObject): bigint {
  const v = obj.map('echo_requests').lookup(Buffer.alloc(4));
  if (!v) throw new Error('array slot 0 missing');
  return v.readBigUInt64LE(0);
}

describe('socket filter end to end', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => {
    net.destroy();
    expect(namespacesMatching(net.ns1.slice(0, -2))).toEqual([]);
  });

  it('counts exactly the echo requests sent, and nothing once detached', async () => {
    const before = loadedProgramIds();
    const spec = await compile(COUNTER, { name: 'echo_counter' });
    expect(spec.programs.map((p) => p.name)).toEqual(['count_echo']);
    const obj = BpfObject.create(spec);
    const prog = obj.loadFunc('count_echo', 'SOCKET_FILTER');
    const sock = await PacketSocket.open({ netns: net.ns2, interface: net.if2 });
    const link = sock.attach(prog);
    try {
      nsExec(net.ns1, ['ping', '-c', '5', '-i', '0.05', '-W', '2', net.ip2]);
      expect(count(obj)).toBe(5n);
      await link.close();
      nsExec(net.ns1, ['ping', '-c', '3', '-i', '0.05', '-W', '2', net.ip2]);
      expect(count(obj)).toBe(5n);
    } finally {
      await link.close();
      sock.close();
      obj.close();
    }
    const leaked = [...loadedProgramIds()].filter((id) => !before.has(id) && id === prog.id);
    expect(leaked).toEqual([]);
  });

  it('counts nothing when the program is loaded but not attached', async () => {
    const obj = BpfObject.create(await compile(COUNTER));
    try {
      obj.loadFunc('count_echo', 'SOCKET_FILTER');
      nsExec(net.ns1, ['ping', '-c', '2', '-i', '0.05', '-W', '2', net.ip2]);
      expect(count(obj)).toBe(0n);
    } finally {
      obj.close();
    }
  });

  it('names the interface and namespace when they do not exist', async () => {
    await expect(PacketSocket.open({ netns: net.ns2, interface: 'nosuch0' })).rejects.toThrow(
      new InvalidArgumentError(`no interface "nosuch0" in namespace ${net.ns2}`),
    );
    await expect(PacketSocket.open({ netns: 'tsbcc-no-such-ns', interface: 'lo' })).rejects.toThrow(
      /cannot enter network namespace "tsbcc-no-such-ns"/,
    );
  });
});
