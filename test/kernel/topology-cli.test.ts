import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanLeftovers, listStates, Network, ownerAlive, Topology } from '../../src/topology/index.js';
import { namespacesMatching, uniqueName } from './helpers/netns.js';
import { waitFor } from './helpers/wait.js';
import { killMidUp } from './helpers/kill-mid-up.js';

const run = promisify(execFile);

/** The built CLI (`tsc -p .` makes it), as a user runs it. */
async function tsbccBuilt(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('node', ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
}

async function tsbcc(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('npx', ['vite-node', 'src/cli/main.ts', '--', ...args], { encoding: 'utf8' });
}

describe('tsbcc topology CLI', () => {
  it('brings a YAML testbed up, runs commands in its hosts, lists it and takes it down', async () => {
    const prefix = uniqueName('t');
    try {
      const up = await tsbcc('topology', 'up', 'simulation/testbeds/two-hosts.yaml', '--prefix', prefix);
      expect(up.stdout).toContain(`testbed ${prefix} is up`);
      expect(up.stderr).toMatch(/namespaces: 2 done/);
      expect(namespacesMatching(`${prefix}-`).sort()).toEqual([`${prefix}-a`, `${prefix}-b`]);
      const ls = await tsbcc('topology', 'ls');
      expect(ls.stdout).toMatch(
        new RegExp(`${prefix}\\tup\\tdetached\\t2\\tsimulation/testbeds/two-hosts.yaml`),
      );
      const ping = await tsbcc(
        'topology',
        'exec',
        '--testbed',
        prefix,
        'a',
        '--',
        'ping',
        '-c1',
        '-W2',
        '10.20.0.2',
      );
      expect(ping.stdout).toContain('1 received');
      const down = await tsbcc('topology', 'down', prefix);
      expect(down.stdout).toContain(`removed ${prefix}: 2 namespaces`);
      expect(namespacesMatching(`${prefix}-`)).toEqual([]);
    } finally {
      for (const ns of namespacesMatching(`${prefix}-`)) await run('ip', ['netns', 'del', ns]);
    }
  });

  it("attaches the testbed's tc programs so they keep working after `up` exits", async () => {
    const prefix = uniqueName('t');
    try {
      const up = await tsbcc('topology', 'up', 'simulation/testbeds/tc-drop-icmp.yaml', '--prefix', prefix);
      expect(up.stderr).toMatch(/programs: 1 done/);
      const filters = await run('ip', [
        'netns',
        'exec',
        `${prefix}-server`,
        'tc',
        'filter',
        'show',
        'dev',
        'eth0',
        'ingress',
      ]);
      expect(filters.stdout).toContain('tsbcc:drop_icmp direct-action');
      const ping = await tsbcc(
        'topology',
        'exec',
        '-t',
        prefix,
        'client',
        '--',
        'ping',
        '-c1',
        '-W1',
        '10.50.0.2',
      ).catch((e: { code: number; stdout: string }) => e);
      expect(ping.stdout).toContain('0 received');
      await tsbcc('topology', 'down', prefix);
      expect(namespacesMatching(`${prefix}-`)).toEqual([]);
    } finally {
      for (const ns of namespacesMatching(`${prefix}-`)) await run('ip', ['netns', 'del', ns]);
    }
  });

  it('takes down the root-namespace objects of a testbed with a root bridge', async () => {
    const prefix = uniqueName('t');
    try {
      await tsbcc('topology', 'up', 'test/kernel/topology-root.yaml', '--prefix', prefix);
      const ls = JSON.parse((await tsbcc('topology', 'ls', '--json')).stdout) as {
        prefix: string;
        rootIfaces: string[];
      }[];
      const rootIfaces = ls.find((s) => s.prefix === prefix)?.rootIfaces ?? [];
      expect(rootIfaces).toHaveLength(3); // the bridge and two outer veth ends
      const links = async (): Promise<string> => (await run('ip', ['-o', 'link', 'show'])).stdout;
      for (const n of rootIfaces) expect(await links()).toContain(`: ${n}`);
      const ping = await tsbcc(
        'topology',
        'exec',
        '-t',
        prefix,
        'h1',
        '--',
        'ping',
        '-c1',
        '-W2',
        '10.63.0.2',
      );
      expect(ping.stdout).toContain('1 received');
      const down = await tsbcc('topology', 'down', prefix);
      expect(down.stdout).toContain(`removed ${prefix}: 2 namespaces,`);
      for (const n of rootIfaces) expect(await links()).not.toContain(`: ${n}`);
    } finally {
      for (const ns of namespacesMatching(`${prefix}-`)) await run('ip', ['netns', 'del', ns]);
    }
  });

  it('`topology clean` removes a run SIGKILLed mid-up, never a live run; --all takes detached ones too', async () => {
    // a state directory of this test's own, so runs of other users of the machine are not touched
    const stateDir = mkdtempSync(join(tmpdir(), 'tsbcc-topo-clean-'));
    const dead = uniqueName('t');
    const detached = uniqueName('t');
    const t = new Topology(uniqueName('t')).bridge('br0');
    for (const i of [1, 2])
      t.host(`h${i}`).link({ host: `h${i}`, addresses: [`10.64.0.${i}/24`] }, { bridge: 'br0' });
    const live = await Network.up(t, { stateDir }); // owned by this (live) process
    try {
      const liveNs = namespacesMatching(`${live.prefix}-`).sort();
      await tsbccBuilt(
        'topology',
        'up',
        'simulation/testbeds/two-hosts.yaml',
        '--prefix',
        detached,
        '--state-dir',
        stateDir,
      );
      await killMidUp(dead, stateDir);
      const left = namespacesMatching(`${dead}-`).sort();
      expect(left.length).toBeGreaterThan(0);
      const state = listStates(stateDir).find((s) => s.prefix === dead);
      expect(state?.status).toBe('creating');
      await waitFor(() => state !== undefined && !ownerAlive(state), `owner of ${dead} to exit`, 10_000);

      const clean = await tsbccBuilt('topology', 'clean', '--state-dir', stateDir);
      expect(clean.stdout).toBe(`removed ${dead}: ${left.length} namespaces, 0 root interfaces\n`);
      expect(namespacesMatching(`${dead}-`)).toEqual([]);
      expect(existsSync(join(stateDir, `${dead}.json`))).toBe(false);
      // the live run and the detached one are untouched, and still work
      expect(namespacesMatching(`${live.prefix}-`).sort()).toEqual(liveNs);
      expect((await live.pingAll()).failures).toEqual([]);
      expect(namespacesMatching(`${detached}-`).sort()).toEqual([`${detached}-a`, `${detached}-b`]);
      expect(
        listStates(stateDir)
          .map((s) => s.prefix)
          .sort(),
      ).toEqual([detached, live.prefix].sort());
      expect((await tsbccBuilt('topology', 'clean', '--state-dir', stateDir)).stdout).toBe(
        'nothing to clean\n',
      );

      // --all: the detached testbed (its `up` has exited) goes too; the live run still stays
      const all = await tsbccBuilt('topology', 'clean', '--all', '--state-dir', stateDir);
      expect(all.stdout).toBe(`removed ${detached}: 2 namespaces, 0 root interfaces\n`);
      expect(namespacesMatching(`${detached}-`)).toEqual([]);
      expect(namespacesMatching(`${live.prefix}-`).sort()).toEqual(liveNs);
      expect(listStates(stateDir).map((s) => s.prefix)).toEqual([live.prefix]);
    } finally {
      await live.destroy();
      await cleanLeftovers({ dir: stateDir, all: true }); // only after a failure is anything left
      rmSync(stateDir, { recursive: true, force: true });
    }
    expect(namespacesMatching(`${dead}-`)).toEqual([]);
    expect(namespacesMatching(`${detached}-`)).toEqual([]);
    expect(namespacesMatching(`${live.prefix}-`)).toEqual([]);
  });

  it('rejects a bad testbed with its path and creates nothing', async () => {
    const err = (await tsbcc('topology', 'up', 'test/kernel/topology-bad.yaml').catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('tsbcc: links[1].b: unknown host "h9"');
    expect(namespacesMatching('badbed-')).toEqual([]);
  });
});
