// Devices this machine's kernel lacks, carrying traffic: 802.1Q vlan sub-interfaces on both ends
// of a veth trunk answer pings, and a tsbcc tc program on the trunk sees each echo request with
// its sub-interface's tag; a dummy device's egress hook sees every packet routed into it. They
// skip here (the reason printed) and run in the Debian 6.1 VM lane (test/vm/lane.ts).
// The devices are test fixtures made with iproute2; what is tested is that they carry traffic
// tsbcc programs see.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, TcDevice } from '../../src/index.js';
import { nsExec, run, uniqueName, vethPair, type VethPairFixture } from './helpers/netns.js';
import { pingReceived } from './helpers/packets.js';
import { requireFeatures } from './helpers/require-features.js';

const HEAD = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __always_inline int echo_request(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return 0;
  __u8 *icmp = (__u8 *)ip + ip->ihl * 4;
  return (void *)(icmp + 1) <= end && icmp[0] == 8;
}
`;

/** Direct action: counts echo requests by VLAN id (slot 0: untagged), passes everything. */
const BY_VLAN = `${HEAD}
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4096);
} by_vlan SEC(".maps");

SEC("tc")
int count_by_vlan(struct __sk_buff *skb) {
  if (!echo_request(skb)) return TC_ACT_OK;
  __u32 k = skb->vlan_present ? (skb->vlan_tci & 0xfff) : 0;
  __u64 *c = bpf_map_lookup_elem(&by_vlan, &k);
  if (c) __sync_fetch_and_add(c, 1);
  return TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Direct action: counts echo requests, passes everything. */
const COUNT = `${HEAD}
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} seen SEC(".maps");

SEC("tc")
int count_echo(struct __sk_buff *skb) {
  __u32 k = 0;
  __u64 *c = bpf_map_lookup_elem(&seen, &k);
  if (c && echo_request(skb)) __sync_fetch_and_add(c, 1);
  return TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Pings `to` from ns n times; how many were answered. */
function ping(ns: string, to: string, n: number): number {
  let out: string;
  try {
    out = nsExec(ns, ['ping', '-c', String(n), '-i', '0.05', '-W', '1', to]);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  return pingReceived(out);
}

const key = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('vlan and dummy devices with traffic', () => {
  let net: VethPairFixture | undefined;
  let extraNs: string | undefined;
  beforeEach(() => {
    net = undefined;
    extraNs = undefined;
  });
  afterEach(() => {
    net?.destroy();
    if (extraNs) run('ip', ['netns', 'del', extraNs]);
  });

  it('vlan sub-interfaces carry tagged pings over the trunk, each with its own tag', async (ctx) => {
    await requireFeatures(ctx, '8021q', 'clsact', 'cls_bpf');
    const n = (net = vethPair());
    // 10.<a>.<b>.x/24 is the untagged trunk; VLAN v gets 172.<16 + v / 100>.<b>.x/24.
    const b = n.ip1.split('.')[2];
    const vlans = [100, 200];
    for (const v of vlans) {
      for (const [ns, dev, host] of [
        [n.ns1, n.if1, 1],
        [n.ns2, n.if2, 2],
      ] as const) {
        const name = `vl${v}`;
        nsExec(ns, ['ip', 'link', 'add', 'link', dev, 'name', name, 'type', 'vlan', 'id', String(v)]);
        nsExec(ns, ['ip', 'addr', 'add', `172.${16 + v / 100}.${b}.${host}/24`, 'dev', name]);
        nsExec(ns, ['ip', 'link', 'set', name, 'up']);
      }
    }
    expect(nsExec(n.ns2, ['ip', '-d', 'link', 'show', 'vl200'])).toMatch(/vlan protocol 802\.1Q id 200/);
    const obj = BpfObject.create(await compile(BY_VLAN));
    const dev = await TcDevice.open({ interface: n.if2, netns: n.ns2 });
    const seen = (v: number): bigint => obj.map('by_vlan').lookup(key(v))?.readBigUInt64LE(0) ?? -1n;
    try {
      const link = await dev.attachBpf(obj.loadFunc('count_by_vlan', 'SCHED_CLS'), {
        parent: 'ingress',
        name: 'by-vlan',
      });
      expect(ping(n.ns1, `172.17.${b}.2`, 3)).toBe(3);
      expect(ping(n.ns1, `172.18.${b}.2`, 5)).toBe(5);
      expect(ping(n.ns1, n.ip2, 2)).toBe(2);
      expect([seen(100), seen(200), seen(0)]).toEqual([3n, 5n, 2n]);
      await link.close();
    } finally {
      dev.close();
      obj.close();
    }
  });

  it("a dummy device's egress hook sees every echo request routed into it", async (ctx) => {
    await requireFeatures(ctx, 'dummy', 'clsact', 'cls_bpf');
    const ns = (extraNs = `tsbcc-${uniqueName('')}-d`);
    run('ip', ['netns', 'add', ns]);
    nsExec(ns, ['ip', 'link', 'add', 'dum0', 'type', 'dummy']);
    nsExec(ns, ['ip', 'addr', 'add', '10.250.0.1/24', 'dev', 'dum0']);
    nsExec(ns, ['ip', 'link', 'set', 'dum0', 'up']);
    expect(nsExec(ns, ['ip', '-d', 'link', 'show', 'dum0'])).toMatch(/\bdummy\b/);
    const obj = BpfObject.create(await compile(COUNT));
    const dev = await TcDevice.open({ interface: 'dum0', netns: ns });
    try {
      const link = await dev.attachBpf(obj.loadFunc('count_echo', 'SCHED_CLS'), {
        parent: 'egress',
        name: 'dummy-egress',
      });
      // A dummy device swallows what it sends (and needs no ARP): no replies, every request seen.
      expect(ping(ns, '10.250.0.2', 4)).toBe(0);
      expect(obj.map('seen').lookup(key(0))?.readBigUInt64LE(0)).toBe(4n);
      const [stats] = JSON.parse(nsExec(ns, ['ip', '-s', '-j', 'link', 'show', 'dum0'])) as {
        stats64: { tx: { packets: number } };
      }[];
      expect(stats?.stats64.tx.packets).toBeGreaterThanOrEqual(4);
      await link.close();
      expect(nsExec(ns, ['tc', 'filter', 'show', 'dev', 'dum0', 'egress'])).toBe('');
    } finally {
      dev.close();
      obj.close();
    }
  });
});
