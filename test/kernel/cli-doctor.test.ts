import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const cli = 'dist/src/cli/main.js';

describe('tsbcc doctor', () => {
  it.skipIf(!existsSync(cli))('prints every feature with its status as JSON', () => {
    const out = JSON.parse(execFileSync('node', [cli, 'doctor', '--json'], { encoding: 'utf8' })) as {
      name: string;
      status: string;
    }[];
    expect(out.length).toBeGreaterThan(20);
    for (const r of out) expect(['present', 'missing']).toContain(r.status);
  });

  it.skipIf(!existsSync(cli))('prints a table with a summary line', () => {
    const out = execFileSync('node', [cli, 'doctor'], { encoding: 'utf8' });
    expect(out).toMatch(/^FEATURE\s+STATUS\s+KERNEL OPTION/);
    expect(out).toMatch(/\n\d+ present, \d+ missing or unknown\n$/);
  });
});
