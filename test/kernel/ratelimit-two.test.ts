/**
 * Two RateLimits on one interface: ingress and egress are independent (each holds its rate
 * with traffic both ways), and a second limit on a direction that has one is refused with an
 * InvalidArgumentError naming what is there, before anything is made — the first keeps holding.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RateLimit } from '../../src/index.js';
import { iperf } from './helpers/iperf.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

const tcState = (ns: string, dev: string): string =>
  nsExec(ns, ['tc', 'qdisc', 'show']) +
  nsExec(ns, ['tc', 'class', 'show', 'dev', dev]) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'ingress']) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'egress']) +
  nsExec(ns, ['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(':')[1]?.trim())
    .join(' ');

/** A measured rate within 10% of the configured one. */
function near(measured: number, configured: number, what: string): void {
  const line = `${what}: ${(measured / 1e6).toFixed(2)} Mbit/s for ${(configured / 1e6).toFixed(2)} Mbit/s`;
  console.log(line);
  expect(measured / configured, line).toBeGreaterThan(0.9);
  expect(measured / configured, line).toBeLessThan(1.1);
}

describe('two rate limits on one interface', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it('ingress and egress hold independently; a second on either direction is refused and changes nothing', async () => {
    const original = tcState(net.ns1, net.if1);
    const on = { interface: net.if1, netns: net.ns1 };
    const limits: RateLimit[] = [];
    try {
      limits.push(await RateLimit.create({ ...on, direction: 'egress', rate: '8mbit' }));
      limits.push(await RateLimit.create({ ...on, direction: 'ingress', rate: '16mbit' }));
      const both = tcState(net.ns1, net.if1);

      for (const [direction, strategy] of [
        ['egress', 'auto'],
        ['egress', 'bpf'],
        ['ingress', 'auto'],
        ['ingress', 'bpf'],
      ] as const) {
        const second = RateLimit.create({ ...on, direction, rate: '20mbit', strategy });
        await expect(second, `${direction} ${strategy}`).rejects.toThrow(InvalidArgumentError);
        await expect(second).rejects.toThrow(
          new RegExp(`${net.if1} in namespace ${net.ns1} ${direction} already has a rate limit \\(`),
        );
        expect(tcState(net.ns1, net.if1), `${direction} ${strategy}: nothing made`).toBe(both);
      }

      // traffic leaving if1 (ns1 -> ns2) meets the egress limit, traffic arriving the ingress one
      near(
        (await iperf(net.ns1, net.ns2, net.ip2, 5311, 4)).receivedBps,
        8e6,
        `egress (${limits[0]?.strategy})`,
      );
      near(
        (await iperf(net.ns2, net.ns1, net.ip1, 5312, 4)).receivedBps,
        16e6,
        `ingress (${limits[1]?.strategy})`,
      );
    } finally {
      for (const l of limits.reverse()) await l.close();
    }
    expect(tcState(net.ns1, net.if1)).toBe(original);
  });
});
