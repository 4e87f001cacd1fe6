import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tourStops } from '../../examples/demo.js';

describe('npm start: the tour', () => {
  it('runs every networking example in --duration mode, each holds, the table says so, and nothing is left', () => {
    const run = spawnSync('node', ['dist/examples/demo.js'], { encoding: 'utf8', timeout: 280_000 });
    const out = run.stdout;
    if (run.status !== 0) console.log(out, run.stderr);
    expect(run.status).toBe(0);
    // The socket-filter introduction counted exactly the pings alice sent.
    expect(out).toContain('echo requests from 10.77.0.1: 5');
    const table = out.slice(out.indexOf('== the tour:'));
    const prefixes: string[] = [];
    for (const stop of tourStops) {
      const row = new RegExp(`^${stop.name}\\s+(yes|NO)\\s+([\\d.]+) s\\s+(\\S+)\\s+(.+)$`, 'm').exec(table);
      expect(row, `${stop.name} has a row in the summary table`).not.toBeNull();
      expect(row?.[1]).toBe('yes');
      expect(row?.[4]?.trim().length).toBeGreaterThan(0);
      prefixes.push(row?.[3] ?? '');
    }
    console.log(table);
    // Each example's testbed (and the introduction's) is gone.
    prefixes.push(/counting pings from alice \((demo-[0-9a-f]+)-alice\)/.exec(out)?.[1] ?? 'missing');
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const p of prefixes) expect(left.split('\n').filter((l) => l.startsWith(`${p}-`))).toEqual([]);
  });
});
