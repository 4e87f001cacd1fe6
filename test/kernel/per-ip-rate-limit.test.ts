import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { features, Network, PerIpRateLimit, Topology } from '../../src/index.js';

// Two hosts on one link; a per-IP limit on a's eth0 egress (traffic a sends to b).
function pair(): Topology {
  const t = new Topology(`pip${randomBytes(2).toString('hex')}`)
    .host('a', { ipv6: false })
    .host('b', { ipv6: false });
  t.link(
    { host: 'a', ifname: 'eth0', addresses: ['10.71.0.1/24'] },
    { host: 'b', ifname: 'eth0', addresses: ['10.71.0.2/24'] },
  );
  return t;
}

async function iperf(net: Network, seconds = 2): Promise<number> {
  const srv = net.spawn('b', ['iperf3', '-s', '-1'], { output: 'ignore' });
  try {
    await net.waitForTcpPort('b', 5201);
    const r = await net.exec('a', ['iperf3', '-c', '10.71.0.2', '-t', String(seconds), '-w', '32K', '-J'], {
      check: true,
    });
    return (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
      .bits_per_second;
  } finally {
    await srv.stop();
  }
}

describe('PerIpRateLimit (per-IP classes over RateLimit)', () => {
  it('checks its options before making anything', async () => {
    const base = { interface: 'eth0', direction: 'egress' as const };
    await expect(PerIpRateLimit.create({ ...base, classes: [] })).rejects.toThrow('give 1 to 64 classes');
    await expect(
      PerIpRateLimit.create({ ...base, classes: [{ name: 'a b', rate: '1mbit' }] }),
    ).rejects.toThrow('classes[0].name "a b"');
    await expect(
      PerIpRateLimit.create({ ...base, classes: [{ name: 'x', rate: '1mbit' }], defaultClass: 'y' }),
    ).rejects.toThrow('defaultClass "y" is not one of x');
    await expect(PerIpRateLimit.create({ ...base, classes: [{ name: 'x', rate: 'fast' }] })).rejects.toThrow(
      /classes\[0\]\.rate/,
    );
  });

  it('limits the addresses of a class, learns addresses, counts per class, and removes everything', async () => {
    await Network.run(pair(), async (net) => {
      const netns = net.nsName('a');
      const limit = await PerIpRateLimit.create({
        interface: 'eth0',
        netns,
        direction: 'egress',
        classes: [{ name: 'slow', rate: '2mbit' }],
      });
      try {
        expect(limit.strategy).toBe('htb');
        expect(limit.entries()).toEqual([]);
        const free = await iperf(net);
        expect(free).toBeGreaterThan(5 * 2e6); // unassigned: no class, no limit
        limit.assign('10.71.0.2', 'slow');
        expect(limit.entries()).toEqual([{ address: '10.71.0.2', class: 'slow' }]);
        const slow = await iperf(net);
        expect(Math.abs(slow / 2e6 - 1)).toBeLessThan(0.15);
        const counts = limit.counts();
        expect(counts.map((c) => c.class)).toEqual(['(unassigned)', 'slow']);
        expect(counts[1]!.bytes).toBeGreaterThan(0.85 * 2 * (2e6 / 8));
        expect(limit.unassign('10.71.0.2')).toBe(true);
        expect(limit.unassign('10.71.0.2')).toBe(false);
        // learning: every source address arriving on a's eth0 goes into "slow"
        await limit.learn({ interface: 'eth0', netns, direction: 'ingress', class: 'slow' });
        await net.exec('b', ['ping', '-c', '1', '10.71.0.1'], { check: true });
        expect(limit.entries()).toEqual([{ address: '10.71.0.2', class: 'slow' }]);
        expect(() => limit.assign('10.71.0.300', 'slow')).toThrow('not an IPv4 address');
        expect(() => limit.assign('10.71.0.3', 'fast')).toThrow('no class "fast"');
      } finally {
        await limit.close();
      }
      const tc = await net.exec('a', ['tc', 'qdisc', 'show', 'dev', 'eth0']);
      expect(tc.stdout).not.toContain('htb');
      expect((await net.exec('a', ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress'])).stdout.trim()).toBe(
        '',
      );
      expect(() => limit.entries()).toThrow('is closed');
    });
  });

  it('polices per class where the kernel has act_police, or says it cannot', async () => {
    const hasPolice = (await features()).has('act_police');
    await Network.run(pair(), async (net) => {
      const opts = {
        interface: 'eth0',
        netns: net.nsName('a'),
        direction: 'egress' as const,
        classes: [{ name: 'slow', rate: '2mbit' }],
        strategy: 'police' as const,
      };
      if (!hasPolice) {
        await expect(PerIpRateLimit.create(opts)).rejects.toThrow(/CONFIG_NET_ACT_POLICE/);
        expect((await net.exec('a', ['tc', 'filter', 'show', 'dev', 'eth0', 'egress'])).stdout.trim()).toBe(
          '',
        );
        return;
      }
      const limit = await PerIpRateLimit.create(opts);
      try {
        expect(limit.strategy).toBe('police');
        limit.assign('10.71.0.2', 'slow');
        // a policer drops what exceeds its rate: TCP stays under it (and well below, see docs)
        const got = await iperf(net);
        expect(got).toBeGreaterThan(0.05 * 2e6);
        expect(got).toBeLessThan(1.1 * 2e6);
      } finally {
        await limit.close();
      }
    });
  });
});
