import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSimpleTc } from '../../examples/networking/simple_tc/simple_tc.js';

describe('simple_tc example (the smallest classifier, real pings)', () => {
  it('shows hello in tc filter show, passes every ping, and removes the filter and the testbed', async () => {
    const r = await runSimpleTc({ count: 3 });
    // tc prints the cls_bpf filter with the program's id and name
    expect(r.filterShow).toMatch(/filter protocol all pref \d+ bpf/);
    expect(r.filterShow).toContain(`id ${r.programId}`);
    expect(r.filterShow).toContain('hello');
    expect(r.filterShow).not.toContain('direct-action');
    expect(r.pings).toEqual({ sent: 3, received: 3 });
    expect(r.filterShowAfter.trim()).toBe('');
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});
