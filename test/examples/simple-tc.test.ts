import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { features } from '../../src/index.js';
import { runSimpleTc } from '../../examples/networking/simple_tc/simple_tc.js';
import { requireMissing } from '../kernel/helpers/require-features.js';

describe('simple_tc example (hello on ingress and egress, real pings)', () => {
  it('runs hello on every packet of both hooks (its counters equal the interface counters) and removes it all', async () => {
    const hasSfq = (await features()).has('sfq');
    const r = await runSimpleTc({ mode: { kind: 'duration', seconds: 1 }, interval: 0.1 });
    expect(r.pings).toEqual({ sent: 10, received: 10 });
    // egress where BCC puts it when the kernel has sfq, else clsact egress, and it says why
    const placements = r.counts.map((c) => c.placement);
    expect(placements).toEqual(['clsact ingress', hasSfq ? 'sfq 1:' : 'clsact egress']);
    expect(r.egressReason).toContain(hasSfq ? 'sfq root qdisc 1:' : 'CONFIG_NET_SCH_SFQ');
    for (const hook of ['ingress', 'egress'] as const) {
      expect(r.filterShow[hook]).toMatch(/filter .*bpf/);
      expect(r.filterShow[hook]).toContain(`id ${r.programIds[hook]}`);
      expect(r.filterShow[hook]).not.toContain('direct-action');
    }
    for (const c of r.counts) {
      // 10 echo requests (ingress) / replies (egress) of 98 bytes, plus ARP
      expect(c.programPackets, c.hook).toBeGreaterThanOrEqual(10);
      expect([c.programPackets, c.programBytes], c.hook).toEqual([c.interfacePackets, c.interfaceBytes]);
    }
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.filterShowAfter.trim()).toBe('');
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });

  it('refuses sfq where the kernel has none, before making anything', async (ctx) => {
    await requireMissing(ctx, 'sfq');
    await expect(runSimpleTc({ egress: 'sfq' })).rejects.toThrow(/sfq.*CONFIG_NET_SCH_SFQ/);
  });
});
