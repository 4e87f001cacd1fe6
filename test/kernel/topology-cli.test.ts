import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { namespacesMatching, uniqueName } from './helpers/netns.js';

const run = promisify(execFile);

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
