import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  attachXdp,
  BPF,
  compile,
  CpuMapTable,
  DevMapTable,
  features,
  InvalidArgumentError,
  onlineCpus,
  PacketSocket,
  PerCpuArrayTable,
  PerCpuHashTable,
  possibleCpus,
  SyscallError,
  XskMapTable,
  type FeatureSet,
  type Link,
} from '../../src/index.js';
import { pingsAnswered } from './helpers/packets.js';
import { nsExec, run, uniqueName, vethPair, type VethPairFixture } from './helpers/netns.js';

// --- per-CPU maps ------------------------------------------------------------------------------

// Acts only for getpriority(which, who) with who == cfg[0], a number no pid can have, so only
// this test's calls count. It copies what it sees in each per-CPU map (on the CPU it runs on)
// into seen[cpu], and writes its own per-CPU values (pcarr[1], pchash[43]).
const PERCPU_PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pcval { __u32 a; __u32 b; __u32 c; };
struct seen_t { __u32 calls; __u32 arr; __u32 a; __u32 b; __u32 c; __u32 found; __u64 lru; };
struct gp_args { __u64 common; __s32 nr; __u32 pad; __u64 which; __u64 who; };

#define MAP(T, K, V, N, NAME) struct { __uint(type, T); __type(key, K); __type(value, V); __uint(max_entries, N); } NAME SEC(".maps")
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 1, cfg);
MAP(BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u32, 2, pcarr);
MAP(BPF_MAP_TYPE_PERCPU_HASH, __u32, struct pcval, 8, pchash);
MAP(BPF_MAP_TYPE_LRU_PERCPU_HASH, __u32, __u64, 8, lrupc);
MAP(BPF_MAP_TYPE_ARRAY, __u32, struct seen_t, 64, seen);

SEC("tracepoint/syscalls/sys_enter_getpriority")
int on_getpriority(struct gp_args *ctx) {
  __u32 zero = 0, one = 1, k = 42, mine_k = 43;
  __u64 *magic = bpf_map_lookup_elem(&cfg, &zero);
  if (!magic || ctx->who != *magic) return 0;
  __u32 cpu = bpf_get_smp_processor_id();
  struct seen_t *s = bpf_map_lookup_elem(&seen, &cpu);
  if (!s) return 0;
  s->calls++;
  __u32 *av = bpf_map_lookup_elem(&pcarr, &zero);
  if (av) s->arr = *av;
  struct pcval *hv = bpf_map_lookup_elem(&pchash, &k);
  if (hv) { s->a = hv->a; s->b = hv->b; s->c = hv->c; s->found |= 1; }
  __u64 *lv = bpf_map_lookup_elem(&lrupc, &k);
  if (lv) { s->lru = *lv; s->found |= 2; }
  __u32 *cnt = bpf_map_lookup_elem(&pcarr, &one);
  if (cnt) *cnt += 1;
  struct pcval *mine = bpf_map_lookup_elem(&pchash, &mine_k);
  if (mine) { mine->a = cpu + 1; mine->b += 1; }
  else { struct pcval n = { .a = cpu + 1, .b = 1 }; bpf_map_update_elem(&pchash, &mine_k, &n, BPF_NOEXIST); }
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

interface PcVal {
  a: number;
  b: number;
  c: number;
}

// Keys and values decode through the layouts compile() reads from the object's BTF.

/** Calls getpriority(PRIO_PROCESS, who) once from a child process pinned to `cpu`. */
function getpriorityOn(cpu: number, who: number): void {
  execFileSync(
    'taskset',
    ['-c', String(cpu), process.execPath, '-e', `try { require('os').getPriority(${who}) } catch {}`],
    { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } },
  );
}

describe('per-CPU maps: a program on each CPU sees the value TypeScript wrote for that CPU', () => {
  let b: BPF;
  beforeAll(async () => {
    b = BPF.fromSpec(await compile(PERCPU_PROG, { name: 'percpu' }), { autoAttach: false });
  });
  afterAll(() => b?.close());

  it('PERCPU_ARRAY, PERCPU_HASH and LRU_PERCPU_HASH, both directions', () => {
    const n = possibleCpus();
    const cpus = onlineCpus();
    const who = 0x10000000 + randomInt(0x1000000); // above any pid_max
    b.table<number, bigint>('cfg').set(0, BigInt(who));
    const pcarr = b.table('pcarr') as PerCpuArrayTable<number>;
    const pchash = b.table('pchash') as PerCpuHashTable<number, PcVal>;
    const lrupc = b.table('lrupc') as PerCpuHashTable<number, bigint>;
    expect(pcarr).toBeInstanceOf(PerCpuArrayTable);
    expect(pchash).toBeInstanceOf(PerCpuHashTable);
    expect(lrupc).toBeInstanceOf(PerCpuHashTable);
    // Values differ per CPU; a 4-byte and a 12-byte value sit in 8- and 16-byte slots.
    const arrFor = (c: number): number => 1000 + 7 * c;
    const hashFor = (c: number): PcVal => ({ a: 10 + c, b: 20 + c, c: 30 + c });
    const lruFor = (c: number): bigint => 5000n + BigInt(c);
    const all = Array.from({ length: n }, (_, c) => c);
    pcarr.set(0, all.map(arrFor));
    pchash.set(42, all.map(hashFor));
    lrupc.set(42, all.map(lruFor));
    expect(pcarr.get(0)).toEqual(all.map(arrFor));
    expect(pchash.get(42)).toEqual(all.map(hashFor));
    expect(() => pcarr.set(0, [1])).toThrow(InvalidArgumentError);
    b.attachTracepoint({ tp: 'syscalls:sys_enter_getpriority', fnName: 'on_getpriority' });

    for (const c of cpus) getpriorityOn(c, who);

    const seen = b.table<number, Record<string, unknown>>('seen');
    for (const c of cpus) {
      expect(seen.get(c), `what the program saw on CPU ${c}`).toEqual({
        calls: 1,
        arr: arrFor(c),
        ...hashFor(c),
        found: 3,
        lru: lruFor(c),
      });
    }
    // The program's writes land in the slot of the CPU it ran on, and only there.
    const ran = (c: number): boolean => cpus.includes(c);
    expect(pcarr.get(1)).toEqual(all.map((c) => (ran(c) ? 1 : 0)));
    expect(pcarr.sum(1)).toBe(cpus.length);
    expect(pchash.get(43)).toEqual(
      all.map((c) => (ran(c) ? { a: c + 1, b: 1, c: 0 } : { a: 0, b: 0, c: 0 })),
    );
    expect(pchash.reduced((v) => v.reduce((s, x) => s + x.b, 0)).get(43)).toBe(cpus.length);
  });
});

// --- XDP redirect maps through programs ----------------------------------------------------------

// On the ingress of ns2's end, IPv4 ICMP echo requests are redirected through the map cfg[0]
// picks (0 devmap slot 0, 1 devmap-hash key 1000, 2 cpumap slot cfg[1], 3 xskmap slot of the rx
// queue); a missing entry falls back to XDP_PASS. stats[0] counts fallbacks, stats[1] redirects,
// stats[2] xskmap lookups that found a socket. count_icmp counts echo requests in arrived[0];
// on_cpu is the cpumap entry program: it counts them per CPU it runs on in ran[].
const REDIRECT_PROG = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAP(T, K, V, N, NAME) struct { __uint(type, T); __type(key, K); __type(value, V); __uint(max_entries, N); } NAME SEC(".maps")
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u32, 2, cfg);
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 3, stats);
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 1, arrived);
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 64, ran);
MAP(BPF_MAP_TYPE_DEVMAP, __u32, __u32, 4, devs);
MAP(BPF_MAP_TYPE_DEVMAP_HASH, __u32, __u32, 4, devh);
MAP(BPF_MAP_TYPE_CPUMAP, __u32, struct bpf_cpumap_val, 64, cpus);
MAP(BPF_MAP_TYPE_XSKMAP, __u32, __u32, 4, xsks);

static __always_inline int is_echo_request(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_ICMP) return 0;
  __u8 *icmp = (__u8 *)ip + ip->ihl * 4;
  return (void *)(icmp + 1) <= end && icmp[0] == 8;
}

static __always_inline void bump(void *map, __u32 k) {
  __u64 *c = bpf_map_lookup_elem(map, &k);
  if (c) __sync_fetch_and_add(c, 1);
}

SEC("xdp")
int redirect_icmp(struct xdp_md *ctx) {
  if (!is_echo_request(ctx)) return XDP_PASS;
  __u32 zero = 0, one = 1;
  __u32 *mode = bpf_map_lookup_elem(&cfg, &zero), *arg = bpf_map_lookup_elem(&cfg, &one);
  if (!mode || !arg) return XDP_PASS;
  long ret;
  if (*mode == 0) ret = bpf_redirect_map(&devs, 0, XDP_PASS);
  else if (*mode == 1) ret = bpf_redirect_map(&devh, 1000, XDP_PASS);
  else if (*mode == 2) ret = bpf_redirect_map(&cpus, *arg, XDP_PASS);
  else {
    __u32 q = ctx->rx_queue_index;
    if (bpf_map_lookup_elem(&xsks, &q)) bump(&stats, 2);
    ret = bpf_redirect_map(&xsks, q, XDP_PASS);
  }
  bump(&stats, ret == XDP_REDIRECT ? 1 : 0);
  return ret;
}

SEC("xdp")
int count_icmp(struct xdp_md *ctx) {
  if (is_echo_request(ctx)) bump(&arrived, 0);
  return XDP_PASS;
}

SEC("xdp/cpumap")
int on_cpu(struct xdp_md *ctx) {
  if (is_echo_request(ctx)) bump(&ran, bpf_get_smp_processor_id());
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

const ifindexIn = (ns: string, dev: string): number =>
  (JSON.parse(nsExec(ns, ['ip', '-j', 'link', 'show', 'dev', dev])) as { ifindex: number }[])[0]!.ifindex;

describe('XDP redirect maps TypeScript fills, used by a program on real traffic', () => {
  let feats: FeatureSet;
  let net: VethPairFixture;
  let b: BPF;
  const links: Link[] = [];
  const stat = (i: number): bigint => b.table<number, bigint>('stats').get(i) ?? 0n;
  const mode = (m: number, arg = 0): void => {
    const cfg = b.table<number, number>('cfg');
    cfg.set(0, m);
    cfg.set(1, arg);
  };
  const skip = (name: 'devmap' | 'cpumap' | 'xskmap'): boolean => {
    const why = feats.missingReason(name);
    if (why) console.log(`skipped: ${why}`);
    return why !== undefined;
  };

  beforeAll(async () => {
    feats = await features();
  });
  beforeEach(async () => {
    net = vethPair();
    b = BPF.fromSpec(await compile(REDIRECT_PROG, { name: 'redirects' }), { autoAttach: false });
    links.push(
      await attachXdp(b.loadFunc('redirect_icmp', 'XDP'), {
        interface: net.if2,
        netns: net.ns2,
        mode: 'generic',
      }),
    );
  });
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
    b?.close();
    net.destroy();
  });

  it.each([
    ['DEVMAP', 'devs', 0, 0],
    ['DEVMAP_HASH', 'devh', 1, 1000],
  ] as const)(
    '%s: an entry set from the namespace moves echo requests to another interface',
    async (_kind, name, m, key) => {
      if (skip('devmap')) return;
      // A second veth from ns2 to ns3: the redirect target; its far end counts what arrives.
      const ns3 = `${net.ns2}3`;
      const a = uniqueName('r');
      const far = `${a}p`;
      run('ip', ['netns', 'add', ns3]);
      try {
        run('ip', ['link', 'add', a, 'netns', net.ns2, 'type', 'veth', 'peer', 'name', far, 'netns', ns3]);
        nsExec(net.ns2, ['ip', 'link', 'set', a, 'up']);
        nsExec(ns3, ['ip', 'link', 'set', far, 'up']);
        const counter = await attachXdp(b.loadFunc('count_icmp', 'XDP'), {
          interface: far,
          netns: ns3,
          mode: 'generic',
        });
        links.push(counter);
        const arrived = (): bigint => b.table<number, bigint>('arrived').get(0) ?? 0n;
        mode(m);
        const devs = b.table<number, number>(name) as DevMapTable<number, number>;
        expect(devs).toBeInstanceOf(DevMapTable);

        expect(pingsAnswered(net, 2)).toBe(2); // no entry: bpf_redirect_map falls back to XDP_PASS
        expect([stat(0), stat(1), arrived()]).toEqual([2n, 0n, 0n]);

        const target = ifindexIn(net.ns2, a);
        await devs.setIn(net.ns2, key, target);
        expect(devs.get(key)).toBe(target);
        expect(pingsAnswered(net, 3)).toBe(0); // the requests left through the other interface
        expect([stat(0), stat(1), arrived()]).toEqual([2n, 3n, 3n]);

        expect(devs.delete(key)).toBe(true);
        expect(pingsAnswered(net, 2)).toBe(2);
        expect([stat(0), stat(1), arrived()]).toEqual([4n, 3n, 3n]);
        if (name === 'devh') {
          expect(devs.get(key)).toBeUndefined();
          expect(devs.delete(key)).toBe(false);
        }
        // An ifindex that does not exist there is refused.
        const err = await devs.setIn(net.ns2, key, 0x7ffffff0).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SyscallError);
        expect(err as SyscallError).toMatchObject({ call: 'bpf_map_update_elem', code: 'EINVAL' });
        const noNs = await devs.setIn(`${net.ns2}-none`, key, target).catch((e: unknown) => e);
        expect(noNs).toBeInstanceOf(SyscallError);
        expect(noNs as SyscallError).toMatchObject({ call: 'setns', code: 'ENOENT' });
      } finally {
        run('ip', ['netns', 'del', ns3]);
      }
    },
  );

  it('CPUMAP: an entry with a program steers echo requests to the CPU TypeScript chose', async () => {
    if (skip('cpumap')) return;
    // The xdp/cpumap section gives the program the BPF_XDP_CPUMAP attach type the entry needs.
    const onCpu = b.loadFunc('on_cpu', 'XDP');
    const cpus = b.table('cpus') as CpuMapTable<number, Record<string, unknown>>;
    expect(cpus).toBeInstanceOf(CpuMapTable);
    const ran = b.table<number, bigint>('ran');
    let redirects = 0n;
    for (const c of onlineCpus()) {
      mode(2, c);
      cpus.set(c, { qsize: 192, bpf_prog: { fd: onCpu.fd } });
      // The kernel swaps the program fd for its id when the entry is read back.
      expect(cpus.get(c)).toMatchObject({ qsize: 192, bpf_prog: { id: onCpu.id } });
      const before = onlineCpus().map((x) => ran.get(x));
      expect(pingsAnswered(net, 3)).toBe(3); // the entry's program passes them on to the stack
      redirects += 3n;
      expect(stat(1)).toBe(redirects);
      expect(onlineCpus().map((x) => (ran.get(x) ?? 0n) - (before[x] ?? 0n))).toEqual(
        onlineCpus().map((x) => (x === c ? 3n : 0n)),
      );
      expect(cpus.delete(c)).toBe(true);
      expect(pingsAnswered(net, 1)).toBe(1);
      expect(stat(1)).toBe(redirects); // no entry: fell back to XDP_PASS
      expect(ran.get(c)).toBe((before[c] ?? 0n) + 3n);
    }
  });

  it('XSKMAP: what the kernel allows without an AF_XDP socket', async () => {
    if (skip('xskmap')) return;
    const xsks = b.table('xsks') as XskMapTable;
    expect(xsks).toBeInstanceOf(XskMapTable);
    mode(3);
    // Empty slots: the program's lookup finds nothing and the redirect falls back to XDP_PASS.
    expect(pingsAnswered(net, 2)).toBe(2);
    expect([stat(0), stat(1), stat(2)]).toEqual([2n, 0n, 0n]);
    // Only AF_XDP sockets are accepted as values; reads from user space are refused.
    const sock = await PacketSocket.open({ netns: net.ns2, interface: net.if2 });
    const file = openSync('/dev/null', 'r');
    try {
      const code = (f: () => unknown): string | undefined => {
        try {
          f();
          return undefined;
        } catch (e) {
          expect(e).toBeInstanceOf(SyscallError);
          return (e as SyscallError).code;
        }
      };
      expect(code(() => xsks.set(0, sock.fd))).toBe('EOPNOTSUPP');
      expect(code(() => xsks.set(0, file))).toBe('ENOTSOCK');
      expect(code(() => xsks.set(4, sock.fd))).toBe('E2BIG');
      expect(code(() => xsks.get(0))).toBe('EOPNOTSUPP');
      expect(xsks.delete(0)).toBe(true); // the kernel clears a slot whether or not it held a socket
      expect(code(() => xsks.delete(4))).toBe('EINVAL');
    } finally {
      closeSync(file);
      sock.close();
    }
    expect(pingsAnswered(net, 1)).toBe(1);
    expect([stat(0), stat(1), stat(2)]).toEqual([3n, 0n, 0n]);
  });
});
