import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runNeighborSharing } from '../../examples/networking/neighbor_sharing/neighbor_sharing.js';

describe('neighbor_sharing example (per-IP rate limiting, real traffic)', () => {
  it('learns the neighbours, holds them to the limit within 10%, and leaves our host unlimited', async () => {
    const lines: string[] = [];
    const r = await runNeighborSharing({ rate: '4mbit', seconds: 3, log: (l) => lines.push(l) });
    expect(r.learned).toEqual(['10.98.0.11', '10.98.0.12']);
    const neigh = r.received.neigh1 ?? 0;
    const us = r.received.us1 ?? 0;
    expect(Math.abs(neigh / r.limitBps - 1)).toBeLessThanOrEqual(0.1);
    expect(us).toBeGreaterThan(5 * r.limitBps);
    const prefix = /namespaces (nbr-[0-9a-f]+)-\*/.exec(lines[0] ?? '')?.[1];
    expect(prefix).toBeDefined();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(prefix);
  });
});
