import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, RateLimit, TcDevice } from '../../src/index.js';
import { iperf } from './helpers/iperf.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';
import { CLASSID_BY_PORT, CLASSIFY_BY_PORT } from './helpers/tc-programs.js';

const tcState = (ns: string, dev: string): string =>
  nsExec(ns, ['tc', 'qdisc', 'show', 'dev', dev]) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'ingress']) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'egress']) +
  nsExec(ns, ['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(':')[1]?.trim())
    .join(' ');

/** Asserts a measured rate is within 10% of the configured one. */
function near(measured: number, configured: number): void {
  const ratio = measured / configured;
  console.log(`measured ${(measured / 1e6).toFixed(2)} Mbit/s for ${(configured / 1e6).toFixed(2)} Mbit/s`);
  expect(
    ratio,
    `measured ${(measured / 1e6).toFixed(2)} Mbit/s vs ${(configured / 1e6).toFixed(2)} Mbit/s`,
  ).toBeGreaterThan(0.9);
  expect(
    ratio,
    `measured ${(measured / 1e6).toFixed(2)} Mbit/s vs ${(configured / 1e6).toFixed(2)} Mbit/s`,
  ).toBeLessThan(1.1);
}

describe('rate limiting and htb classes, measured with iperf3', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it.each([
    ['direct action (skb->tc_classid)', CLASSIFY_BY_PORT, 'classify_port', true],
    ['classid mode (the return value is the class)', CLASSID_BY_PORT, 'classid_port', false],
  ] as const)('%s steers each flow into its htb class at the class rate', async (_m, source, fn, direct) => {
    const obj = BpfObject.create(await compile(source));
    const prog = obj.loadFunc(fn, 'SCHED_CLS');
    const before = tcState(net.ns1, net.if1);
    const dev = await TcDevice.open({ interface: net.if1, netns: net.ns1 });
    const links = [];
    try {
      links.push(await dev.addQdisc({ kind: 'htb', handle: '1:' }));
      links.push(await dev.addClass({ classid: '1:10', rate: '8mbit' }));
      links.push(await dev.addClass({ classid: '1:20', rate: '24mbit' }));
      links.push(await dev.attachBpf(prog, { parent: '1:', name: 'byport', directAction: direct }));
      const [a, b] = await Promise.all([
        iperf(net.ns1, net.ns2, net.ip2, 5301, 4),
        iperf(net.ns1, net.ns2, net.ip2, 5302, 4),
      ]);
      near(a.receivedBps, 8e6);
      near(b.receivedBps, 24e6);
      const stats = nsExec(net.ns1, ['tc', '-s', 'class', 'show', 'dev', net.if1]);
      expect(stats).toMatch(/class htb 1:10 .*rate 8Mbit/);
      expect(stats).toMatch(/class htb 1:20 .*rate 24Mbit/);
    } finally {
      for (const l of links.reverse()) await l.close();
      dev.close();
      obj.close();
    }
    expect(tcState(net.ns1, net.if1)).toBe(before);
  });

  it('one-call rate limit on egress holds the rate within 10% and says what it chose', async () => {
    const before = tcState(net.ns1, net.if1);
    const limit = await RateLimit.create({
      interface: net.if1,
      netns: net.ns1,
      direction: 'egress',
      rate: '20mbit',
    });
    try {
      expect(['police', 'htb']).toContain(limit.strategy);
      expect(limit.reason).not.toBe('');
      const r = await iperf(net.ns1, net.ns2, net.ip2, 5303, 4);
      near(r.receivedBps, 20e6);
    } finally {
      await limit.close();
    }
    expect(tcState(net.ns1, net.if1)).toBe(before);
  });

  it('one-call rate limit on ingress (ifb+htb where act_police is missing) holds the rate within 10%', async () => {
    const before = tcState(net.ns2, net.if2);
    const unlimited = await iperf(net.ns1, net.ns2, net.ip2, 5304, 2);
    expect(unlimited.receivedBps).toBeGreaterThan(100e6);
    const limit = await RateLimit.create({
      interface: net.if2,
      netns: net.ns2,
      direction: 'ingress',
      rate: '16mbit',
    });
    try {
      console.log(`ingress rate limit: ${limit.strategy}: ${limit.reason}`);
      const r = await iperf(net.ns1, net.ns2, net.ip2, 5305, 4);
      near(r.receivedBps, 16e6);
    } finally {
      await limit.close();
    }
    expect(tcState(net.ns2, net.if2)).toBe(before);
  });

  it('per-class ingress limits through the classifier', async () => {
    const obj = BpfObject.create(await compile(CLASSIFY_BY_PORT));
    const prog = obj.loadFunc('classify_port', 'SCHED_CLS');
    const before = tcState(net.ns2, net.if2);
    const limit = await RateLimit.create({
      interface: net.if2,
      netns: net.ns2,
      direction: 'ingress',
      classifier: prog,
      classes: [
        { classid: '1:10', rate: '6mbit' },
        { classid: '1:20', rate: '18mbit' },
      ],
    });
    try {
      const [a, b] = await Promise.all([
        iperf(net.ns1, net.ns2, net.ip2, 5301, 4),
        iperf(net.ns1, net.ns2, net.ip2, 5302, 4),
      ]);
      near(a.receivedBps, 6e6);
      near(b.receivedBps, 18e6);
    } finally {
      await limit.close();
      obj.close();
    }
    expect(tcState(net.ns2, net.if2)).toBe(before);
  });

  it('the BPF token bucket (strategy bpf) polices UDP to the rate within 10%', async () => {
    const before = tcState(net.ns2, net.if2);
    const limit = await RateLimit.create({
      interface: net.if2,
      netns: net.ns2,
      direction: 'ingress',
      rate: '20mbit',
      strategy: 'bpf',
    });
    try {
      expect(limit.strategy).toBe('bpf-token-bucket');
      expect(limit.reason).toMatch(/asked for/);
      // Offered 40 Mbit/s of UDP; the bucket passes 20 Mbit/s of frames (payload a little less).
      const r = await iperf(net.ns1, net.ns2, net.ip2, 5306, 4, ['-u', '-b', '40M']);
      near(r.receivedBps, 20e6);
    } finally {
      await limit.close();
    }
    expect(tcState(net.ns2, net.if2)).toBe(before);
  });

  it('bad input creates nothing', async () => {
    const before = tcState(net.ns2, net.if2);
    await expect(
      RateLimit.create({ interface: net.if2, netns: net.ns2, direction: 'ingress', rate: '12xbit' }),
    ).rejects.toThrow(/invalid rate limit rate "12xbit": unknown unit "xbit"/);
    await expect(
      RateLimit.create({ interface: 'nosuch0', netns: net.ns2, direction: 'ingress', rate: '1mbit' }),
    ).rejects.toThrow(`no interface "nosuch0" in namespace ${net.ns2}`);
    expect(tcState(net.ns2, net.if2)).toBe(before);
  });
});
