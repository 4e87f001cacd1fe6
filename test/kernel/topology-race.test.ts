/**
 * Two processes at once on testbeds: two `topology up` of the same file with the same prefix
 * (one comes up, the other is refused, and the refused one takes nothing of the winner's
 * away), and `topology clean` while another run is still coming up (a run whose owner lives
 * is never touched; once it is SIGKILLed, clean removes exactly it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listStates, ownerAlive } from '../../src/topology/state.js';
import { signalGroup, upInChild } from './helpers/kill-mid-up.js';
import { namespacesMatching, run, uniqueName } from './helpers/netns.js';
import { waitFor } from './helpers/wait.js';

const root = join(import.meta.dirname, '..', '..');
const stateDir = mkdtempSync(join(tmpdir(), 'tsbcc-topo-race-'));
const prefixes: string[] = [];
afterAll(() => {
  for (const p of prefixes) for (const ns of namespacesMatching(`${p}-`)) run('ip', ['netns', 'del', ns]);
  rmSync(stateDir, { recursive: true, force: true });
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function tsbcc(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('node', [join(root, 'dist/src/cli/main.js'), ...args], { cwd: root }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('topology races', () => {
  it('two `topology up` of one file with one prefix: one comes up, the other is refused', async () => {
    const prefix = uniqueName('r');
    prefixes.push(prefix);
    const file = 'simulation/testbeds/two-hosts.yaml';
    const up = (): Promise<Ran> => tsbcc('topology', 'up', file, '--prefix', prefix, '--state-dir', stateDir);
    const results = await Promise.all([up(), up()]);
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code !== 0);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.stderr).toMatch(new RegExp(`prefix ${prefix}`));
    // the winner's testbed is whole: its namespaces, its state, and it works
    expect(namespacesMatching(`${prefix}-`).sort()).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(listStates(stateDir).filter((s) => s.prefix === prefix)).toHaveLength(1);
    run('ip', ['netns', 'exec', `${prefix}-a`, 'ping', '-c', '1', '-W', '2', '10.20.0.2']);
    const down = await tsbcc('topology', 'down', prefix, '--state-dir', stateDir);
    expect(down.code).toBe(0);
    expect(namespacesMatching(`${prefix}-`)).toEqual([]);
    expect(listStates(stateDir).filter((s) => s.prefix === prefix)).toEqual([]);
  }, 120_000);

  it('`topology clean` while a run is coming up leaves it; after SIGKILL clean removes exactly it', async () => {
    const prefix = uniqueName('c');
    prefixes.push(prefix);
    const child = await upInChild(prefix, stateDir, 30, /^links /m);
    try {
      // mid-up: the run is recorded as creating, its owner alive
      const state = listStates(stateDir).find((s) => s.prefix === prefix);
      expect(state?.status).toBe('creating');
      const during = await tsbcc('topology', 'clean', '--state-dir', stateDir);
      expect(during.code).toBe(0);
      expect(during.stdout).toBe('nothing to clean\n');
      // it still comes up whole
      await waitFor(
        () => listStates(stateDir).find((s) => s.prefix === prefix)?.status === 'up',
        `${prefix} to come up`,
        60_000,
      );
      expect(namespacesMatching(`${prefix}-`)).toHaveLength(31); // 30 hosts and the fabric
    } finally {
      await signalGroup(child, 'SIGKILL');
    }
    const dead = listStates(stateDir).find((s) => s.prefix === prefix);
    await waitFor(() => dead !== undefined && !ownerAlive(dead), `owner of ${prefix} to exit`, 10_000);
    const clean = await tsbcc('topology', 'clean', '--state-dir', stateDir);
    expect(clean.stdout).toBe(`removed ${prefix}: 31 namespaces, 0 root interfaces\n`);
    expect(namespacesMatching(`${prefix}-`)).toEqual([]);
    expect(listStates(stateDir)).toEqual([]);
  }, 180_000);
});
