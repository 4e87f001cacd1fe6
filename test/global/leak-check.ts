/**
 * Global set-up of the kernel and example test projects: a snapshot of what exists before the
 * first test, compared after the last test. Anything new that is still there fails the run,
 * named:
 * - named namespaces, BPF programs and maps, links in the root namespace, bpffs entries, files
 *   under tsbcc's run directory;
 * - qdiscs, and filters on every hook and qdisc, of the interfaces that existed before (a test
 *   that attaches to lo, or to a device it did not make, must take it away again);
 * - XDP programs attached to any interface of the root namespace or of a named namespace;
 * - uprobe/kprobe events (tracefs dynamic_events, uprobe_events, kprobe_events);
 * - tracefs instances (tsbcc's trace readers make one each); before comparing, the instances of
 *   tsbcc processes that died without closing them (a test's SIGKILL) are removed, as the next
 *   reader would remove them;
 * - sysctls of the root namespace whose value changed (every writable file under /proc/sys,
 *   except kernel.ns_last_pid, which every fork moves);
 * - processes a test started that still run: their environment carries vitest's worker id
 *   (children inherit it), and they are not vitest's own workers;
 * - entries under the temporary directory (os.tmpdir() and /tmp).
 * Namespaces free their devices and programs asynchronously, so the comparison waits (up to
 * 15 s) for the kernel to settle.
 * TSBCC_LEAK_CHECK=0 turns it off, for runs that share the machine with other test runs
 * (their objects would be counted as this run's).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapTraceInstances } from '../../src/events/trace-instance.js';
import { tracefsRoot } from '../../src/tracing/tracefs.js';

interface Snapshot {
  netns: Set<string>;
  programs: Set<string>;
  maps: Set<string>;
  links: Set<string>;
  pins: Set<string>;
  state: Set<string>;
  qdiscs: Set<string>;
  filters: Set<string>;
  xdp: Set<string>;
  probes: Set<string>;
  instances: Set<string>;
  sysctls: Set<string>;
  processes: Set<string>;
  tmp: Set<string>;
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

function rootLinks(): string[] {
  return lines('ip', ['-o', 'link', 'show']).map((l) => (l.split(': ')[1] ?? l).split('@')[0] ?? l);
}

/** Qdiscs of the root namespace, as `dev kind handle parent`. */
function qdiscs(): Set<string> {
  return new Set(lines('tc', ['qdisc', 'show']).map((l) => l.replace(/\s+refcnt \d+/, '').trim()));
}

/**
 * Filters of the given interfaces: on the clsact hooks and under every qdisc they have, one
 * entry per filter (its first line, with the device).
 */
function filters(devs: string[]): Set<string> {
  const out = new Set<string>();
  const handles = new Map<string, Set<string>>();
  for (const q of lines('tc', ['qdisc', 'show'])) {
    const m = /^qdisc \S+ ([0-9a-f]+:) dev (\S+)/.exec(q);
    if (m?.[1] && m[2]) handles.set(m[2], (handles.get(m[2]) ?? new Set()).add(m[1]));
  }
  for (const dev of devs) {
    const parents = ['ingress', 'egress', ...[...(handles.get(dev) ?? [])].map((h) => `parent ${h}`)];
    for (const parent of parents) {
      for (const l of lines('tc', ['filter', 'show', 'dev', dev, ...parent.split(' ')])) {
        if (l.startsWith('filter ')) out.add(`${dev} ${parent}: ${l.trim()}`);
      }
    }
  }
  return out;
}

/**
 * The XDP programs attached to the interfaces of the root namespace and of every named
 * namespace, one entry per interface: `<namespace or "root"> <interface>: xdp <mode> <program ids>`.
 */
export function xdpAttachments(): Set<string> {
  const out = new Set<string>();
  const spaces = ['', ...lines('ip', ['netns', 'list']).map((l) => l.split(' ')[0] ?? l)];
  for (const ns of spaces) {
    let list: { ifname?: string; xdp?: { mode?: number; prog?: { id?: number }; attached?: unknown[] } }[];
    try {
      const out = execFileSync('ip', [...(ns ? ['-n', ns] : []), '-j', 'link', 'show'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      list = JSON.parse(out || '[]') as typeof list;
    } catch {
      continue; // gone meanwhile
    }
    for (const l of list) {
      if (!l.xdp) continue;
      const ids = l.xdp.prog?.id !== undefined ? [l.xdp.prog] : (l.xdp.attached ?? []);
      const shown = ids.map((p) => JSON.stringify(p)).join(' ');
      out.add(`${ns || 'root'} ${l.ifname ?? '?'}: xdp mode ${l.xdp.mode ?? '?'} ${shown}`);
    }
  }
  return out;
}

/** Dynamic trace events (uprobes, kprobes) as tracefs lists them. */
function probes(): Set<string> {
  const out = new Set<string>();
  for (const root of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
    for (const f of ['dynamic_events', 'uprobe_events', 'kprobe_events']) {
      try {
        for (const l of readFileSync(join(root, f), 'utf8').split('\n')) if (l.trim()) out.add(l.trim());
      } catch {
        // no such file (no tracefs there, or no kprobes in this kernel)
      }
    }
    if (out.size > 0) break;
  }
  return out;
}

/** tracefs instances (every one, not only tsbcc's: a test may make its own). */
function instances(): Set<string> {
  const root = tracefsRoot();
  if (!root) return new Set();
  try {
    return new Set(readdirSync(join(root, 'instances')));
  } catch {
    return new Set();
  }
}

/** `path = value` of every writable sysctl of the root namespace. */
function sysctls(dir = '/proc/sys', out = new Set<string>()): Set<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      sysctls(p, out);
      continue;
    }
    if (p === '/proc/sys/kernel/ns_last_pid') continue;
    try {
      if (!(statSync(p).mode & 0o200)) continue;
      out.add(`${p.slice('/proc/sys/'.length).replace(/\//g, '.')} = ${readFileSync(p, 'utf8').trim()}`);
    } catch {
      // unreadable (write-only or gone)
    }
  }
  return out;
}

/**
 * Processes started by tests that still run: their environment carries VITEST_WORKER_ID
 * (inherited from the worker that started them), and they are not vitest's own workers.
 */
function processes(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /s.test(stat)) continue; // a zombie holds nothing
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (!env.includes('\0VITEST_WORKER_ID=') && !env.startsWith('VITEST_WORKER_ID=')) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (/^node \(vitest( \d+)?\)$/.test(cmd)) continue; // a vitest worker (tinypool's title)
      out.add(`${pid} ${cmd.slice(0, 200)}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * vite-node's own transform directory (`<21-character id>/ssr`): a vite-node child that a test
 * SIGKILLs on purpose cannot remove it. Not the project's.
 */
function viteNodeDir(path: string): boolean {
  if (!/\/[\w-]{21}$/.test(path)) return false;
  try {
    return readdirSync(path).join() === 'ssr';
  } catch {
    return false;
  }
}

/** Entries directly under the temporary directories. */
function tmpEntries(): Set<string> {
  const out = new Set<string>();
  for (const dir of new Set([tmpdir(), '/tmp'])) {
    try {
      for (const e of readdirSync(dir)) if (!viteNodeDir(join(dir, e))) out.add(join(dir, e));
    } catch {
      // no such directory
    }
  }
  return out;
}

function snapshot(devs?: string[]): Snapshot {
  const links = rootLinks();
  return {
    netns: new Set(lines('ip', ['netns', 'list']).map((l) => l.split(' ')[0] ?? l)),
    programs: bpftool('prog'),
    maps: bpftool('map'),
    links: new Set(links),
    pins: new Set(walk('/sys/fs/bpf').filter((p) => !/\/(maps|progs)\.debug$/.test(p))),
    state: new Set(walk(process.env.TSBCC_RUN_DIR || '/run/tsbcc', true)),
    qdiscs: qdiscs(),
    filters: filters(devs ?? links),
    xdp: xdpAttachments(),
    probes: probes(),
    instances: instances(),
    sysctls: sysctls(),
    processes: processes(),
    tmp: tmpEntries(),
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
    // filters are compared on the interfaces that existed before (new ones count as links)
    const devs = [...before.links];
    const root = tracefsRoot();
    if (root) reapTraceInstances(root);
    let left = leaks(before, snapshot(devs));
    for (let waited = 0; left.length > 0 && waited < 15_000; waited += 500) {
      await new Promise((r) => setTimeout(r, 500));
      left = leaks(before, snapshot(devs));
    }
    if (left.length > 0) {
      throw new Error(`the tests left ${left.length} kernel objects behind:\n  ${left.join('\n  ')}`);
    }
  };
}
