import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachXdp,
  BpfObject,
  compile,
  InvalidArgumentError,
  NotSupportedError,
  TcDevice,
  xdpState,
} from '../../src/index.js';
import { pingsAnswered } from './helpers/packets.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

// Counts IPv4 ICMP echo requests and returns the verdict in verdict[0] for them (XDP_PASS = 2).
const XDP_ICMP = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} counts SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1);
} verdict SEC(".maps");
SEC("xdp")
int xdp_icmp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return XDP_PASS;
  __u8 *icmp = (__u8 *)ip + ip->ihl * 4;
  if ((void *)(icmp + 1) > end || icmp[0] != 8) return XDP_PASS;
  __u32 k = 0;
  __u64 *c = bpf_map_lookup_elem(&counts, &k);
  if (c) __sync_fetch_and_add(c, 1);
  __u32 *v = bpf_map_lookup_elem(&verdict, &k);
  return v && *v ? (int)*v : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

const count = (obj: BpfObject): bigint => obj.map('counts').lookup(Buffer.alloc(4))!.readBigUInt64LE(0);
const setVerdict = (obj: BpfObject, v: number): void => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  obj.map('verdict').update(Buffer.alloc(4), b);
};

describe('XDP over netlink', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it.each(['generic', 'native'] as const)(
    '%s mode: verdicts change delivery, counts match, close detaches',
    async (mode) => {
      const obj = BpfObject.create(await compile(XDP_ICMP));
      const prog = obj.loadFunc('xdp_icmp', 'XDP');
      try {
        const link = await attachXdp(prog, { interface: net.if2, netns: net.ns2, mode });
        expect(link.mode).toBe(mode);
        const st = await xdpState({ interface: net.if2, netns: net.ns2 });
        expect(mode === 'generic' ? st.genericProgramId : st.nativeProgramId).toBe(prog.id);
        expect(nsExec(net.ns2, ['ip', 'link', 'show', net.if2])).toContain(
          mode === 'generic' ? 'xdpgeneric' : 'xdp',
        );
        expect(pingsAnswered(net, 3)).toBe(3);
        expect(count(obj)).toBe(3n);
        setVerdict(obj, 1); // XDP_DROP
        expect(pingsAnswered(net, 2)).toBe(0);
        expect(count(obj)).toBe(5n);
        await link.close();
        expect((await xdpState({ interface: net.if2, netns: net.ns2 })).attached).toBe('none');
        expect(pingsAnswered(net, 2)).toBe(2);
        expect(count(obj)).toBe(5n);
      } finally {
        obj.close();
      }
    },
  );

  it('refuses to displace a program unless asked; replace() swaps atomically; close leaves others alone', async () => {
    const a = BpfObject.create(await compile(XDP_ICMP));
    const b = BpfObject.create(await compile(XDP_ICMP));
    const pa = a.loadFunc('xdp_icmp', 'XDP');
    const pb = b.loadFunc('xdp_icmp', 'XDP');
    try {
      const la = await attachXdp(pa, { interface: net.if2, netns: net.ns2, mode: 'generic' });
      await expect(attachXdp(pb, { interface: net.if2, netns: net.ns2, mode: 'generic' })).rejects.toThrow(
        /already has an XDP program.*replace: true/,
      );
      await la.replace(pb);
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).genericProgramId).toBe(pb.id);
      expect(pingsAnswered(net, 2)).toBe(2);
      expect(count(b)).toBe(2n);
      expect(count(a)).toBe(0n);
      // Someone else replaces it: our close must not detach their program.
      const lb = await attachXdp(pa, { interface: net.if2, netns: net.ns2, mode: 'generic', replace: true });
      await la.close();
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).genericProgramId).toBe(pa.id);
      await lb.close();
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).attached).toBe('none');
    } finally {
      a.close();
      b.close();
    }
  });

  it('native mode on a driver without XDP support is NotSupportedError; generic works there', async () => {
    const obj = BpfObject.create(await compile(XDP_ICMP));
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const ifb = await dev.addIfb({ name: `i${net.if2.slice(1, 12)}` });
    try {
      const prog = obj.loadFunc('xdp_icmp', 'XDP');
      const err = await attachXdp(prog, {
        interface: ifb.target.interface,
        netns: net.ns2,
        mode: 'native',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotSupportedError);
      expect((err as Error).message).toMatch(/native XDP on i.*use mode 'generic'/);
      const g = await attachXdp(prog, { interface: ifb.target.interface, netns: net.ns2, mode: 'generic' });
      expect(g.mode).toBe('generic');
      await g.close();
    } finally {
      await ifb.close();
      dev.close();
      obj.close();
    }
    expect(nsExec(net.ns2, ['ip', '-o', 'link', 'show'])).not.toContain(`i${net.if2.slice(1, 12)}`);
  });

  it('bad input gives clear errors', async () => {
    const obj = BpfObject.create(await compile(XDP_ICMP));
    try {
      const prog = obj.loadFunc('xdp_icmp', 'XDP');
      await expect(attachXdp(prog, { interface: 'nosuch0', netns: net.ns2 })).rejects.toThrow(
        new InvalidArgumentError(`no interface "nosuch0" in namespace ${net.ns2}`),
      );
      await expect(
        attachXdp(prog, { interface: net.if2, netns: net.ns2, mode: 'turbo' as 'native' }),
      ).rejects.toThrow(/invalid XDP mode "turbo"/);
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).attached).toBe('none');
    } finally {
      obj.close();
    }
  });
});
