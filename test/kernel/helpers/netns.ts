/**
 * Test fixtures: throwaway namespaces and veth pairs made with iproute2 (test set-up only; the
 * library's own topology code is tested separately), with unique names per run.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A unique short prefix for this test run (interface names must fit in 15 bytes). */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command inside a namespace. */
export function nsExec(ns: string, args: string[]): string {
  return run('ip', ['netns', 'exec', ns, ...args]);
}

/** Two namespaces joined by a veth pair with IPv4 addresses, both ends up. */
export interface VethPairFixture {
  ns1: string;
  ns2: string;
  if1: string;
  if2: string;
  ip1: string;
  ip2: string;
  destroy(): void;
}

/** Creates ns1 <-veth-> ns2 with 10.<a>.<b>.1/24 and .2/24. */
export function vethPair(): VethPairFixture {
  const id = uniqueName('');
  const ns1 = `tsbcc-${id}-a`;
  const ns2 = `tsbcc-${id}-b`;
  const if1 = `v${id}a`;
  const if2 = `v${id}b`;
  const octet = (parseInt(id.slice(0, 2), 16) % 200) + 20;
  const octet2 = parseInt(id.slice(2, 4), 16);
  const ip1 = `10.${octet}.${octet2}.1`;
  const ip2 = `10.${octet}.${octet2}.2`;
  const destroy = (): void => {
    for (const ns of [ns1, ns2]) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // not created
      }
    }
  };
  try {
    run('ip', ['netns', 'add', ns1]);
    run('ip', ['netns', 'add', ns2]);
    run('ip', ['link', 'add', if1, 'netns', ns1, 'type', 'veth', 'peer', 'name', if2, 'netns', ns2]);
    nsExec(ns1, ['ip', 'addr', 'add', `${ip1}/24`, 'dev', if1]);
    nsExec(ns2, ['ip', 'addr', 'add', `${ip2}/24`, 'dev', if2]);
    for (const [ns, dev] of [
      [ns1, if1],
      [ns2, if2],
      [ns1, 'lo'],
      [ns2, 'lo'],
    ] as const) {
      nsExec(ns, ['ip', 'link', 'set', dev, 'up']);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { ns1, ns2, if1, if2, ip1, ip2, destroy };
}

/** Names of namespaces whose name contains `part` (for leak checks). */
export function namespacesMatching(part: string): string[] {
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.includes(part));
}

/** Ids of loaded BPF programs (bpftool), for leak checks. */
export function loadedProgramIds(): Set<number> {
  const out = run('bpftool', ['prog', 'show', '--json']);
  return new Set((JSON.parse(out) as { id: number }[]).map((p) => p.id));
}
