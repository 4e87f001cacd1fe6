import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runNeighborSharing } from '../../examples/networking/neighbor_sharing/neighbor_sharing.js';

describe('neighbor_sharing example (BCC topology, per-IP rate limiting, iperf3)', () => {
  it('learns the three neighbours, holds them to 128 kbit/s together and the rest to 1 Mbit/s, within 15%', async () => {
    const lines: string[] = [];
    const r = await runNeighborSharing({ mode: { kind: 'duration', seconds: 5 }, log: (l) => lines.push(l) });
    expect(r.learned).toEqual([
      { address: '172.16.1.100', class: 'neighbors' },
      { address: '172.16.1.101', class: 'neighbors' },
      { address: '172.16.1.102', class: 'neighbors' },
    ]);
    // it says how it limits, and why
    expect(r.strategy).toMatch(/^(ifb\+htb|police)$/);
    expect(lines.some((l) => l.includes(`limited by ${r.strategy}: ${r.reason}`))).toBe(true);
    expect(r.measurements.map((m) => [m.what, m.limitBps])).toEqual([
      ['wan0 -> neighbor0', 128_000],
      ['wan0 -> neighbor1', 128_000],
      ['wan0 -> neighbor2', 128_000],
      ['wan0 -> local0', 1_000_000],
      ['wan0 -> local1', 1_000_000],
      ['wan0 -> neighbor0 + neighbor1 (on the wire)', 128_000],
    ]);
    for (const m of r.measurements) {
      expect(Math.abs(m.measuredBps / m.limitBps - 1), `${m.what}: ${m.measuredBps}`).toBeLessThanOrEqual(
        0.15,
      );
    }
    // the classifier saw the neighbours' downloads in their class and the locals' in none
    const counts = Object.fromEntries(r.classCounts.map((c) => [c.class, c.bytes]));
    expect(counts.neighbors).toBeGreaterThan(3 * 5 * 0.85 * (128_000 / 8));
    expect(counts['(unassigned)']).toBeGreaterThan(2 * 5 * 0.85 * (1_000_000 / 8));
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});
