/**
 * The record of what `tsbcc ratelimit apply` installed in one namespace:
 * `$TSBCC_RUN_DIR/ratelimit/<key>.json` (default /run/tsbcc/ratelimit), written atomically
 * (a private file renamed into place) before any kernel object is made and again after each
 * step, so `rm` removes exactly what an apply made, also one that was SIGKILLed half-way.
 * The maps live under bpffs: `/sys/fs/bpf/tsbcc/ratelimit/<key>/<interface>/<direction>/`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** An htb class the record holds (a policy class, or one address's own rate from `set`). */
export interface RecordClass {
  name: string;
  /** Minor under the htb 1: (the classid is 1:minor). */
  minor: number;
  /** Bits per second. */
  rate: number;
  ceil?: number;
  /** Bytes. */
  burst?: number;
  /** Made by `set ADDR RATE` for this address alone (removed again by `unset`/`set ADDR CLASS`). */
  address?: string;
}

/** An address or prefix and the class it is in. */
export interface RecordEntry {
  prefix: string;
  class: string;
}

/** A cls_bpf filter as the kernel reported it. */
export interface RecordFilter {
  parent: string;
  priority: number;
  handle: number;
  programId: number;
}

/** One interface direction. */
export interface RecordDirection {
  interface: string;
  direction: 'ingress' | 'egress';
  match: 'destination' | 'source';
  /** The ifb device ingress is redirected to and shaped on (planned before it is made). */
  ifb?: string;
  /**
   * Ingress, and police on either side: whether the interface had a clsact/ingress qdisc
   * before (else rm removes it).
   */
  hookBefore?: boolean;
  /** What the policy asked for (`strategy:`; absent in records of older versions: auto). */
  asked?: 'police' | 'shape' | 'auto';
  /** The mechanism chosen (htb, ifb+htb or police), and why. */
  strategy?: string;
  reason?: string;
  /** Where the classifier's maps are pinned. */
  pinDir: string;
  classes: RecordClass[];
  defaultClass?: string;
  /** What the tries hold (policy entries and `set` changes). */
  entries: RecordEntry[];
  /**
   * The classifier: on the htb 1: qdisc (shaping) or the interface's hook (police); and, for
   * ifb+htb, the redirect on the interface's ingress hook.
   */
  classifier?: RecordFilter;
  redirect?: RecordFilter;
  /** False from the moment it is planned until every object is made. */
  complete: boolean;
}

/** The record of one namespace. */
export interface RatelimitRecord {
  version: 1;
  /** The namespace's key (its name, `host` for the namespace tsbcc runs in). */
  key: string;
  /** The namespace as given to --netns, if any. */
  netns?: string;
  /** applying: an apply/set/rm is (or was, if its process died) under way. */
  status: 'applying' | 'applied' | 'removing';
  /** The process that last changed it, and that process's start time. */
  pid: number;
  pidStart: string;
  updatedAt: string;
  /** The policy file last applied. */
  policy?: string;
  directions: RecordDirection[];
}

/** tsbcc's runtime directory: `$TSBCC_RUN_DIR`, else `/run/tsbcc`. */
function runDir(): string {
  return process.env.TSBCC_RUN_DIR || '/run/tsbcc';
}

/** Directory of ratelimit records. */
export function recordDir(): string {
  return join(runDir(), 'ratelimit');
}

/** bpffs directory of everything `tsbcc ratelimit` pins. */
export const RATELIMIT_PIN_ROOT = '/sys/fs/bpf/tsbcc/ratelimit';

/** The key of a namespace: its name, the path with `/` as `_`, or `host` without one. */
export function namespaceKey(netns: string | undefined): string {
  if (netns === undefined || netns === '') return 'host';
  return netns.replace(/^\/+/, '').replace(/\//g, '_');
}

/** Where a direction's maps are pinned. */
export function pinDirOf(key: string, ifname: string, direction: string): string {
  return join(RATELIMIT_PIN_ROOT, key, ifname, direction);
}

/** The start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that last wrote the record still runs. */
export function writerAlive(r: RatelimitRecord): boolean {
  return r.pid !== process.pid && processStart(r.pid) === r.pidStart;
}

function recordPath(key: string): string {
  return join(recordDir(), `${key}.json`);
}

/** Reads the record of a namespace key; undefined when there is none. */
export function readRecord(key: string): RatelimitRecord | undefined {
  const file = recordPath(key);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const r = JSON.parse(text) as RatelimitRecord;
    if (r.version !== 1 || !Array.isArray(r.directions)) throw new Error('not a version 1 record');
    return r;
  } catch (e) {
    throw new InvalidArgumentError(`${file}: unreadable ratelimit record (${(e as Error).message})`);
  }
}

/** Writes a record atomically, stamped with this process. */
export function writeRecord(r: RatelimitRecord): void {
  mkdirSync(recordDir(), { recursive: true });
  r.pid = process.pid;
  r.pidStart = processStart(process.pid) ?? '';
  r.updatedAt = new Date().toISOString();
  const file = recordPath(r.key);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Removes a record (missing is fine). */
export function removeRecord(key: string): void {
  rmSync(recordPath(key), { force: true });
}

/** The keys of every record. */
export function recordKeys(): string[] {
  const dir = recordDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Steps where the test hooks below can act. */
export type TestPoint = 'pinned' | 'installed' | 'reconcile' | 'set' | 'rm';

/**
 * Test hooks (for the SIGKILL and race tests): `TSBCC_RATELIMIT_KILL_AT=STEP` SIGKILLs the
 * process at that step; `TSBCC_RATELIMIT_STALL_AT=STEP` waits there for
 * `TSBCC_RATELIMIT_STALL_MS` (default 1500) with the namespace's lock held. Steps: `pinned`
 * (apply: maps pinned, nothing in tc yet), `installed` (apply: every tc object made, the record
 * not yet complete), `reconcile` (classes added or changed, the tries not yet), `set` (the
 * address's own class made, the tries not yet), `rm` (a direction's tc objects removed, its pins
 * and the record not yet).
 */
export async function testPoint(step: TestPoint): Promise<void> {
  if (process.env.TSBCC_RATELIMIT_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
  if (process.env.TSBCC_RATELIMIT_STALL_AT === step) {
    const ms = Number(process.env.TSBCC_RATELIMIT_STALL_MS ?? 1500);
    await new Promise((r) => setTimeout(r, Number.isFinite(ms) ? ms : 1500));
  }
}
