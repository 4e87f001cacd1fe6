import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, InvalidArgumentError, RateLimit, TcDevice } from '../../src/index.js';
import { native } from '../../src/native.js';
import { AUTO_SLOW_MS } from '../../src/netlink/socket.js';
import { nsExec, run, vethPair, type VethPairFixture } from './helpers/netns.js';
import { ICMP_VERDICT, PASS_ALL } from './helpers/tc-programs.js';

function count(obj: BpfObject): bigint {
  const v = obj.map('counts').lookup(Buffer.alloc(4));
  if (!v) throw new Error('counts[0] missing');
  return v.readBigUInt64LE(0);
}

function setVerdict(obj: BpfObject, verdict: number): void {
  const v = Buffer.alloc(4);
  v.writeUInt32LE(verdict);
  obj.map('verdict').update(Buffer.alloc(4), v);
}

/** Pings count times and returns how many replies came back (ping exits 1 when some are lost). */
function ping(net: VethPairFixture, n: number): number {
  let out: string;
  try {
    out = nsExec(net.ns1, ['ping', '-c', String(n), '-i', '0.05', '-W', '1', net.ip2]);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`unexpected ping output: ${out}`);
  expect(Number(m[1])).toBe(n);
  return Number(m[2]);
}

const tcShow = (net: VethPairFixture): string =>
  nsExec(net.ns2, ['tc', 'qdisc', 'show', 'dev', net.if2]) +
  nsExec(net.ns2, ['tc', 'filter', 'show', 'dev', net.if2, 'ingress']) +
  nsExec(net.ns2, ['tc', 'filter', 'show', 'dev', net.if2, 'egress']);

describe('cls_bpf filter in direct-action mode', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it('changes delivery with its verdict, counts exactly the packets sent, and leaves tc as it was', async () => {
    const before = tcShow(net);
    const obj = BpfObject.create(await compile(ICMP_VERDICT));
    const prog = obj.loadFunc('icmp_verdict', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    try {
      const link = await dev.attachBpf(prog, { parent: 'ingress', name: 'icmpv', priority: 7 });
      const listed = await dev.filters();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        kind: 'bpf',
        name: 'tsbcc:icmpv',
        programId: prog.id,
        programName: 'icmp_verdict',
        priority: 7,
        directAction: true,
        ours: true,
      });
      expect(
        run('ip', ['netns', 'exec', net.ns2, 'tc', 'filter', 'show', 'dev', net.if2, 'ingress']),
      ).toContain('tsbcc:icmpv');

      expect(ping(net, 4)).toBe(4);
      expect(count(obj)).toBe(4n);
      setVerdict(obj, 2); // TC_ACT_SHOT
      expect(ping(net, 3)).toBe(0);
      expect(count(obj)).toBe(7n);
      setVerdict(obj, 0);
      expect(ping(net, 2)).toBe(2);
      expect(count(obj)).toBe(9n);

      await link.close();
      expect(tcShow(net)).toBe(before);
      expect(ping(net, 2)).toBe(2);
      expect(count(obj)).toBe(9n);
    } finally {
      dev.close();
      obj.close();
    }
  });

  it('replace() swaps the program in place and two filters share one clsact', async () => {
    const obj = BpfObject.create(await compile(ICMP_VERDICT));
    const obj2 = BpfObject.create(await compile(ICMP_VERDICT));
    const p1 = obj.loadFunc('icmp_verdict', 'SCHED_CLS');
    const p2 = obj2.loadFunc('icmp_verdict', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const before = tcShow(net);
    try {
      const a = await dev.attachBpf(p1, { parent: 'ingress', priority: 1 });
      const b = await dev.attachBpf(p1, { parent: 'egress', priority: 2, handle: 5, chain: 0 });
      expect(b.info.handle).toBe(5);
      await a.replace(p2);
      const ing = await dev.filters('ingress');
      expect(ing.map((f) => f.programId)).toEqual([p2.id]);
      expect(ping(net, 2)).toBe(2);
      expect(count(obj2)).toBe(2n);
      expect(count(obj)).toBe(0n);
      await a.close();
      expect((await dev.qdiscs()).map((q) => q.kind)).toContain('clsact');
      await b.close();
      expect(tcShow(net)).toBe(before);
    } finally {
      dev.close();
      obj.close();
      obj2.close();
    }
  });

  it('filters on another chain and on an htb parent are listed and removed exactly', async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const before = tcShow(net);
    try {
      const c = await dev.attachBpf(prog, { parent: 'egress', chain: 3, priority: 9, name: 'chained' });
      expect(await dev.filters('egress')).toMatchObject([{ chain: 3, priority: 9, name: 'tsbcc:chained' }]);
      expect(nsExec(net.ns2, ['tc', 'filter', 'show', 'dev', net.if2, 'egress'])).toContain('chain 3');
      const htb = await dev.addQdisc({ kind: 'htb', handle: '7:' });
      const f = await dev.attachBpf(prog, { parent: '7:', classid: '7:5', directAction: false });
      expect(await dev.filters('7:')).toMatchObject([
        { parent: 0x70000, classid: 0x70005, directAction: false },
      ]);
      await f.close();
      expect(await dev.filters('7:')).toEqual([]);
      await htb.close();
      await c.close();
      expect(tcShow(net)).toBe(before);
    } finally {
      dev.close();
      obj.close();
    }
  });

  it('close() and the exit path leave a filter whose program someone else replaced', async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const obj2 = BpfObject.create(await compile(PASS_ALL));
    const p1 = obj.loadFunc('pass_all', 'SCHED_CLS');
    const p2 = obj2.loadFunc('pass_all', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const other = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const before = tcShow(net);
    try {
      const a = await dev.attachBpf(p1, { parent: 'ingress', priority: 3, handle: 1 });
      const b = await dev.attachBpf(p1, { parent: 'egress', priority: 4, handle: 1 });
      // another owner swaps the programs under our links (same parent, priority and handle)
      const a2 = await other.attachBpf(p2, { parent: 'ingress', priority: 3, handle: 1, replace: true });
      const b2 = await other.attachBpf(p2, { parent: 'egress', priority: 4, handle: 1, replace: true });
      await a.close(); // asynchronous path
      b.closeSync(); // the exit registry's synchronous path
      expect((await dev.filters('ingress')).map((f) => f.programId)).toEqual([p2.id]);
      expect((await dev.filters('egress')).map((f) => f.programId)).toEqual([p2.id]);
      await a2.close();
      await b2.close();
      expect(await dev.filters()).toEqual([]);
    } finally {
      dev.close();
      other.close();
      obj.close();
      obj2.close();
    }
    expect(tcShow(net)).toBe(before);
  });

  // false: every request on the thread pool (pipelined, replies matched); 'auto' (the default):
  // on the JS thread one after the other
  it.each([false, 'auto'] as const)(
    'concurrent attaches and closes on one device get their own replies and errors (blockingNetlink: %s)',
    async (blockingNetlink) => {
      const obj = BpfObject.create(await compile(PASS_ALL));
      const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2, blockingNetlink });
      const before = tcShow(net);
      try {
        const prios = [11, 12, 13, 14, 15, 16, 17, 18];
        const settled = await Promise.allSettled(
          // priority 12 twice with the same handle: exactly one of the two is refused
          [...prios, 12].map((priority, i) =>
            dev.attachBpf(prog, { parent: 'egress', priority, handle: 1, name: `c${i}` }),
          ),
        );
        const links = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const refused = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
        expect(refused).toHaveLength(1);
        expect(refused[0]).toBeInstanceOf(InvalidArgumentError);
        expect(refused[0]?.message).toMatch(/already exists/);
        expect(links.map((l) => l.info.priority).sort((x, y) => x - y)).toEqual(prios);
        // each link got the kernel's answer to its own request: its name matches its priority
        for (const l of links) {
          const i = settled.findIndex((r) => r.status === 'fulfilled' && r.value === l);
          expect(l.info.name).toBe(`tsbcc:c${i}`);
        }
        const listed = await dev.filters('egress');
        expect(listed.map((f) => f.priority).sort((x, y) => x - y)).toEqual(prios);
        await Promise.all(links.map((l) => l.close()));
        expect(await dev.filters()).toEqual([]);
      } finally {
        dev.close();
        obj.close();
      }
      expect(tcShow(net)).toBe(before);
    },
  );

  it("blockingNetlink 'auto': short requests on the JS thread, dumps and the second after a slow one on the thread pool", async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
    const addon = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const realSync = addon.netlinkTransactSync as (...args: unknown[]) => unknown;
    const realPool = addon.netlinkTransact as (...args: unknown[]) => unknown;
    const calls: string[] = [];
    let slowNext = false;
    addon.netlinkTransactSync = (...args: unknown[]): unknown => {
      calls.push('js');
      const out = realSync(...args);
      if (slowNext) {
        // as if another process had held rtnl
        slowNext = false;
        const end = performance.now() + AUTO_SLOW_MS + 5;
        while (performance.now() < end);
      }
      return out;
    };
    addon.netlinkTransact = (...args: unknown[]): unknown => {
      calls.push('pool');
      return realPool(...args);
    };
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 }); // default: 'auto'
    nsExec(net.ns2, ['tc', 'qdisc', 'add', 'dev', net.if2, 'clsact']); // one request per attach
    const before = tcShow(net);
    try {
      calls.length = 0;
      const a = await dev.attachBpf(prog, { parent: 'ingress', name: 'auto' });
      expect(await dev.filters('ingress')).toHaveLength(1);
      slowNext = true;
      await a.close(); // lookup + deletion: on the JS thread, and slow
      const b = await dev.attachBpf(prog, { parent: 'ingress', name: 'auto' });
      await b.close();
      // attach, dump, lookup + deletion (slow), then attach and removal after the slow one
      expect(calls).toEqual(['js', 'pool', 'js', 'pool', 'pool']);
      expect(await dev.filters()).toEqual([]);
    } finally {
      addon.netlinkTransactSync = realSync;
      addon.netlinkTransact = realPool;
      dev.close();
      obj.close();
    }
    expect(tcShow(net)).toBe(before);
  });

  it.each([true, 'auto'] as const)(
    'requests on the JS thread: a repeated attach and a removal reach the kernel before the call returns (blockingNetlink: %s)',
    async (blockingNetlink) => {
      const obj = BpfObject.create(await compile(PASS_ALL));
      const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2, blockingNetlink });
      nsExec(net.ns2, ['tc', 'qdisc', 'add', 'dev', net.if2, 'clsact']);
      const before = tcShow(net);
      const listed = (): string => nsExec(net.ns2, ['tc', 'filter', 'show', 'dev', net.if2, 'ingress']);
      try {
        const opts = { parent: 'ingress', priority: 3, name: 'now' } as const;
        await (await dev.attachBpf(prog, opts)).close(); // prepares the attach
        for (let i = 0; i < 3; i++) {
          const attaching = dev.attachBpf(prog, opts);
          expect(listed()).toMatch(/tsbcc:now/); // sent before attachBpf returned
          const link = await attaching;
          const closing = link.close();
          expect(listed()).toBe(''); // lookup and deletion done before close() returned
          await closing;
          expect(link.closed).toBe(true);
        }
      } finally {
        dev.close();
        obj.close();
      }
      expect(tcShow(net)).toBe(before);
    },
  );

  it('blockingNetlink: the same attach, lookup-guarded removal and errors from the JS thread', async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const obj2 = BpfObject.create(await compile(PASS_ALL));
    const p1 = obj.loadFunc('pass_all', 'SCHED_CLS');
    const p2 = obj2.loadFunc('pass_all', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2, blockingNetlink: true });
    const before = tcShow(net);
    try {
      const a = await dev.attachBpf(p1, { parent: 'ingress', priority: 2, handle: 1, name: 'blk' });
      expect(a.info).toMatchObject({ priority: 2, handle: 1, name: 'tsbcc:blk', programId: p1.id });
      await expect(dev.attachBpf(p1, { parent: 'ingress', priority: 2, handle: 1 })).rejects.toThrow(
        /already exists/,
      );
      const taken = await dev.attachBpf(p2, { parent: 'ingress', priority: 2, handle: 1, replace: true });
      await a.close(); // runs p2 now: left in place
      expect((await dev.filters('ingress')).map((f) => f.programId)).toEqual([p2.id]);
      await taken.close();
      expect(await dev.filters()).toEqual([]);
    } finally {
      dev.close();
      obj.close();
      obj2.close();
    }
    expect(tcShow(net)).toBe(before);
  });

  it('closing after the namespace is gone is not an error', async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    try {
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
      const link = await dev.attachBpf(obj.loadFunc('pass_all', 'SCHED_CLS'), { parent: 'ingress' });
      dev.close();
      net.destroy();
      await link.close();
      expect(link.closed).toBe(true);
    } finally {
      obj.close();
    }
  });

  it('rejects malformed interface names with an InvalidArgumentError naming them, creating nothing', async () => {
    // the names of the namespace's interfaces (their carrier state may still change)
    const links = (): string =>
      nsExec(net.ns2, ['ip', '-o', 'link', 'show'])
        .split('\n')
        .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
        .join(' ');
    const before = tcShow(net) + links();
    const reject = async (p: Promise<unknown>, message: string): Promise<void> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(message);
    };
    const open = (name: string): Promise<TcDevice> => TcDevice.open({ interface: name, netns: net.ns2 });
    const bad = "(no '/', ':', whitespace or NUL)";
    await reject(open('sixteen-bytes-nm'), 'interface name "sixteen-bytes-nm" is longer than 15 bytes');
    // 12 characters, 17 bytes: the limit is the kernel's, in bytes
    await reject(open('ünïcödé-näme'), 'interface name "ünïcödé-näme" is longer than 15 bytes');
    await reject(open(''), 'empty interface name');
    await reject(open('..'), 'invalid interface name "..": "." and ".." are reserved');
    await reject(open('a b'), `invalid interface name "a b": contains whitespace (byte 0x20) ${bad}`);
    await reject(open('a:b'), `invalid interface name "a:b": contains ':' ${bad}`);
    await reject(open(`${net.if2}/x`), `invalid interface name "${net.if2}/x": contains '/' ${bad}`);
    // the kernel would cut the name at the NUL and address lo
    await reject(open('lo\0junk'), `invalid interface name "lo\\u0000junk": contains a NUL byte ${bad}`);
    // "à" is C3 A0 in UTF-8, and the kernel's isspace() takes 0xa0 for a space
    await reject(open('là'), `invalid interface name "là": contains whitespace (byte 0xa0) ${bad}`);

    const obj = BpfObject.create(await compile(PASS_ALL));
    const dev = await open(net.if2);
    try {
      await reject(
        dev.addIfb({ name: 'ifb-much-too-long' }),
        'interface name "ifb-much-too-long" is longer than 15 bytes',
      );
      await reject(
        dev.attachBpf(obj.loadFunc('pass_all', 'SCHED_CLS'), {
          directAction: false,
          actions: [{ kind: 'mirred', mode: 'redirect', to: 'to:nowhere' }],
        }),
        `invalid interface name "to:nowhere": contains ':' ${bad}`,
      );
      await reject(
        RateLimit.create({
          interface: net.if2,
          netns: net.ns2,
          direction: 'ingress',
          rate: '1mbit',
          ifbName: 'ifb-much-too-long',
        }),
        'interface name "ifb-much-too-long" is longer than 15 bytes',
      );
      await reject(
        RateLimit.create({ interface: 'x'.repeat(16), netns: net.ns2, direction: 'egress', rate: '1mbit' }),
        `interface name "${'x'.repeat(16)}" is longer than 15 bytes`,
      );
    } finally {
      dev.close();
      obj.close();
    }
    expect(tcShow(net) + links()).toBe(before);
  });

  it('rejects bad input with clear errors and creates nothing', async () => {
    const obj = BpfObject.create(await compile(ICMP_VERDICT));
    const prog = obj.loadFunc('icmp_verdict', 'SCHED_CLS');
    const before = tcShow(net);
    try {
      await expect(TcDevice.open({ interface: 'nosuch0', netns: net.ns2 })).rejects.toThrow(
        new InvalidArgumentError(`no interface "nosuch0" in namespace ${net.ns2}`),
      );
      await expect(TcDevice.open({ interface: 'a/b', netns: net.ns2 })).rejects.toThrow(
        /invalid interface name "a\/b"/,
      );
      await expect(TcDevice.open({ interface: 'lo', netns: 'tsbcc-nosuch-ns' })).rejects.toThrow(
        /cannot enter network namespace "tsbcc-nosuch-ns"/,
      );
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
      try {
        await expect(dev.attachBpf(prog, { parent: '1:10000' })).rejects.toThrow(
          /invalid filter parent "1:10000": minor "10000" is not 1-4 hex digits/,
        );
        await expect(dev.addQdisc({ kind: 'tbf', rate: '12xbit', burst: '32k' })).rejects.toThrow(
          /invalid tbf rate "12xbit": unknown unit "xbit"/,
        );
        await expect(dev.addClass({ classid: '1:10', rate: '1mbit' })).rejects.toThrow(
          /ENOENT|No such|qdisc/i,
        );
        await expect(
          dev.attachBpf(prog, {
            directAction: false,
            actions: [{ kind: 'mirred', mode: 'redirect', to: 'nosuch1' }],
          }),
        ).rejects.toThrow(`no interface "nosuch1" in namespace ${net.ns2}`);
        await expect(dev.attachBpf(prog, { priority: 70000 })).rejects.toThrow(
          /invalid filter priority 70000/,
        );
        const other = BpfObject.create(await compile(PASS_ALL));
        try {
          const sf = other.loadFunc('pass_all', 'SOCKET_FILTER');
          await expect(dev.attachBpf(sf)).rejects.toThrow(/must be loaded as SCHED_CLS/);
        } finally {
          other.close();
        }
        expect(tcShow(net)).toBe(before);
      } finally {
        dev.close();
      }
    } finally {
      obj.close();
    }
  });
});
