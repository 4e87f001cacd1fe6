import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm start demo', () => {
  it('counts exactly the pings it sent and removes its testbed', () => {
    const out = execFileSync('node', ['dist/examples/demo.js'], { encoding: 'utf8' });
    expect(out).toContain('echo requests from 10.77.0.1: 5');
    const ns = /counting pings from alice \((demo-[0-9a-f]+)-alice\)/.exec(out)?.[1];
    expect(ns).toBeDefined();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(left).not.toContain(ns);
  });
});
