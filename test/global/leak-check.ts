/**
 * Global set-up of the kernel and example test projects: a snapshot of what exists in the
 * kernel before the first test (named namespaces, BPF programs and maps, links in the root
 * namespace, bpffs entries, files under tsbcc's run directory), compared after the last test. Anything new
 * that is still there fails the run, named. Namespaces free their devices and programs
 * asynchronously, so the comparison waits (up to 15 s) for the kernel to settle.
 * TSBCC_LEAK_CHECK=0 turns it off, for runs that share the machine with other test runs
 * (their objects would be counted as this run's).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Snapshot {
  netns: Set<string>;
  programs: Set<string>;
  maps: Set<string>;
  links: Set<string>;
  pins: Set<string>;
  state: Set<string>;
}

function lines(cmd: string, args: string[]): string[] {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

function bpftool(kind: 'prog' | 'map'): Set<string> {
  try {
    const out = execFileSync('bpftool', ['-j', kind, 'show'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const list = JSON.parse(out || '[]') as { id: number; name?: string; type?: string }[];
    return new Set(list.map((p) => `${kind} ${p.id} ${p.type ?? ''} ${p.name ?? ''}`.trim()));
  } catch {
    return new Set();
  }
}

/**
 * Every entry under dir, recursively. With `filesOnly`, directories are walked but not listed:
 * a state directory that a test run created on a fresh machine (where none existed) is not
 * leaked state, while a state file left in it is.
 */
function walk(dir: string, filesOnly = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (!filesOnly || !e.isDirectory()) out.push(p);
    if (e.isDirectory()) out.push(...walk(p, filesOnly));
  }
  return out;
}

function snapshot(): Snapshot {
  return {
    netns: new Set(lines('ip', ['netns', 'list']).map((l) => l.split(' ')[0] ?? l)),
    programs: bpftool('prog'),
    maps: bpftool('map'),
    links: new Set(
      lines('ip', ['-o', 'link', 'show']).map((l) => (l.split(': ')[1] ?? l).split('@')[0] ?? l),
    ),
    pins: new Set(walk('/sys/fs/bpf').filter((p) => !/\/(maps|progs)\.debug$/.test(p))),
    state: new Set(walk(process.env.TSBCC_RUN_DIR || '/run/tsbcc', true)),
  };
}

function leaks(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const key of Object.keys(after) as (keyof Snapshot)[]) {
    for (const item of after[key]) if (!before[key].has(item)) out.push(`${key}: ${item}`);
  }
  return out;
}

let users = 0;
let before: Snapshot | undefined;

export function setup(): () => Promise<void> {
  if (users++ === 0) before = snapshot();
  return async () => {
    if (--users > 0 || !before || process.getuid?.() !== 0 || process.env.TSBCC_LEAK_CHECK === '0') return;
    let left = leaks(before, snapshot());
    for (let waited = 0; left.length > 0 && waited < 15_000; waited += 250) {
      await new Promise((r) => setTimeout(r, 250));
      left = leaks(before, snapshot());
    }
    if (left.length > 0) {
      throw new Error(`the tests left ${left.length} kernel objects behind:\n  ${left.join('\n  ')}`);
    }
  };
}
