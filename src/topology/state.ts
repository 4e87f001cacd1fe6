/**
 * The run state file: what a testbed created (namespace names and root-namespace interfaces),
 * written before anything is created, under /run/tsbcc/topology/PREFIX.json. `clean` removes
 * exactly the leftovers of runs whose process died, and nothing else.
 */
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { logger } from '../logger.js';
import { deleteLink, getLink } from '../netlink/link.js';
import { deleteNamespace, NETNS_DIR } from '../netlink/netns.js';
import { NetlinkSocket } from '../netlink/socket.js';
import { processStart, runDir } from '../util/run-dir.js';

export { processStart, runDir };

/** Default directory of testbed state files: `runDir()/topology` (`/run/tsbcc/topology`). */
export function defaultStateDir(): string {
  return join(runDir(), 'topology');
}

/** What a state file holds. */
export interface RunState {
  prefix: string;
  /** Testbed name. */
  name?: string;
  /** The process that created it, and its start time (to tell a reused pid apart). */
  pid: number;
  pidStart: string;
  createdAt: string;
  /** creating: up in progress; up: complete; destroying: down in progress. */
  status: 'creating' | 'up' | 'destroying';
  /** Left up on purpose after the creating process ends (`tsbcc topology up`). */
  detached: boolean;
  /** Namespace names (under /run/netns) the run creates. */
  namespaces: string[];
  /** Interfaces the run creates in the root namespace. */
  rootIfaces: string[];
  /** Host name to namespace name. */
  hosts?: Record<string, string>;
  /** The YAML file it came from, if any. */
  source?: string;
}

/** Whether the process that wrote the state is still running. */
export function ownerAlive(s: RunState): boolean {
  return processStart(s.pid) === s.pidStart;
}

/** Path of the state file of a prefix. */
export function statePath(prefix: string, dir = defaultStateDir()): string {
  return join(dir, `${prefix}.json`);
}

/** Writes a state file atomically. */
export function writeState(s: RunState, dir = defaultStateDir()): void {
  mkdirSync(dir, { recursive: true });
  const file = statePath(s.prefix, dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * Writes the first state file of a run, only if none exists for its prefix: written under a
 * private name and linked into place (link fails when the name exists), so of two processes
 * bringing up one prefix at once exactly one gets it.
 * @returns false when the prefix is recorded already.
 */
export function claimState(s: RunState, dir = defaultStateDir()): boolean {
  mkdirSync(dir, { recursive: true });
  const file = statePath(s.prefix, dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes a state file (missing is fine). */
export function removeState(prefix: string, dir = defaultStateDir()): void {
  rmSync(statePath(prefix, dir), { force: true });
}

/** Every state file in dir (unreadable ones are skipped with a warning). */
export function listStates(dir = defaultStateDir()): RunState[] {
  if (!existsSync(dir)) return [];
  const out: RunState[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunState);
    } catch (e) {
      logger().warn('unreadable topology state file', { file: f, error: String(e) });
    }
  }
  return out;
}

/** What removing a run's leftovers did. */
export interface CleanReport {
  prefix: string;
  namespaces: string[];
  rootIfaces: string[];
}

/**
 * Removes everything a state file lists (namespaces that still exist, root interfaces that
 * still exist and carry the run's names), then the state file.
 */
export async function removeRun(s: RunState, dir = defaultStateDir()): Promise<CleanReport> {
  const report: CleanReport = { prefix: s.prefix, namespaces: [], rootIfaces: [] };
  if (s.rootIfaces.length > 0) {
    const root = await NetlinkSocket.open('');
    try {
      for (const name of [...s.rootIfaces].reverse()) {
        if (!(await getLink(root, name))) continue;
        try {
          await root.request(deleteLink(name).message, `delete link ${name}`);
          report.rootIfaces.push(name);
        } catch (e) {
          // a veth peer removed together with its other end is fine
          if (await getLink(root, name)) throw e;
        }
      }
    } finally {
      root.close();
    }
  }
  for (const ns of [...s.namespaces].reverse()) {
    if (!ns.startsWith(`${s.prefix}-`)) continue; // never anything outside the run's prefix
    if (!existsSync(join(NETNS_DIR, ns))) continue;
    deleteNamespace(ns);
    report.namespaces.push(ns);
  }
  removeState(s.prefix, dir);
  return report;
}

/**
 * Removes the leftovers of runs whose process died (and, with all, detached testbeds too).
 * Runs of live processes are never touched.
 */
export async function cleanLeftovers(opts: { all?: boolean; dir?: string } = {}): Promise<CleanReport[]> {
  const out: CleanReport[] = [];
  for (const s of listStates(opts.dir)) {
    if (ownerAlive(s)) continue;
    if (s.detached && s.status === 'up' && !opts.all) continue;
    out.push(await removeRun(s, opts.dir));
  }
  return out;
}
