/**
 * The tc owner record: what this process is making or has made with tc (qdiscs, htb classes,
 * cls_bpf filters, the clsact hook it added, ifb devices) and the XDP programs it attached
 * (src/xdp/xdp.ts), so that after a SIGKILL —
 * when no exit handler runs — `tsbcc tc clean` can remove exactly those objects and nothing
 * else. One file per process (and worker thread), `$TSBCC_RUN_DIR/tc/<pid>-<thread>.json`
 * (default `/run/tsbcc/tc`): an append-only log kept open while the process has objects
 * recorded, removed once it has held none for EMPTY_RECORD_LINGER_MS, and at exit (format and
 * torn-write rules: owner-log.ts).
 *
 * An object is recorded *before* the request that makes it is sent, and forgotten once its
 * removal succeeded, so a record is a superset of what a dead process left: clean checks the
 * kernel before deleting anything (a filter only while it still runs the recorded program, a
 * qdisc only while one of the recorded kind and handle is there, an ifb only while that name is
 * an ifb device, the clsact only when no filter is left on it, an XDP program only while the
 * interface runs that program id, detached with the kernel's expected-program check). Objects made with `keep: true`
 * are not recorded: they are meant to outlive the process.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { logger } from '../logger.js';
import { deleteLink, getLinkRequest, parseLink } from '../netlink/link.js';
import { transactIn, type NetlinkRequest, type Outcome } from '../netlink/socket.js';
import { deleteClass } from '../netlink/tc/class.js';
import { dumpFilters, filterRequest } from '../netlink/tc/filter.js';
import { decodeTcObject, deleteQdisc, dumpQdiscs } from '../netlink/tc/qdisc.js';
import { HOOK_QDISC_HANDLE, PARENT_EGRESS, PARENT_INGRESS, TC_H } from '../netlink/tc/tca.js';
import { track, untrack, type Closeable } from '../resources.js';
import { workerThreads } from '../util/node-builtins.js';
import { processStart, runDir } from '../util/run-dir.js';
import { parseFilterReply } from './filter-list.js';
import { detachXdpIfRunning } from '../xdp/xdp-netlink.js';
import { OwnerLog, parseRecord, writeRecordAtomically, type ParsedRecord } from './owner-log.js';

/** One tc object as recorded (identified the way clean finds it again). */
export type OwnedTcObject =
  | { type: 'qdisc'; ifindex: number; kind: string; handle: number; parent: number }
  | { type: 'class'; ifindex: number; classid: number; parent: number }
  | { type: 'filter'; ifindex: number; parent: number; name: string; programId: number }
  | { type: 'hook'; ifindex: number }
  | { type: 'ifb'; name: string }
  | { type: 'xdp'; ifindex: number; programId: number };

/** A recorded object with where it lives. */
export type OwnerEntry = OwnedTcObject & {
  /** Sequence number within the record (clean removes newest first). */
  seq: number;
  /** The namespace as given (name or nsfs path); absent: the owner's own namespace. */
  netns?: string;
  /** The namespace's inode, so a namespace recreated under the same name is not touched. */
  nsIno: number;
  /** The interface's name, for messages (ifb: the device itself). */
  interface: string;
};

/** What a record file holds (as read back; the file format is owner-log.ts's). */
export interface OwnerRecord {
  version: 2;
  pid: number;
  /** The owner's start time (/proc/PID/stat field 22): a reused pid is not the owner. */
  pidStart: string;
  objects: OwnerEntry[];
}

/** Where the records live: `runDir()/tc`. */
export function ownerRecordDir(): string {
  return join(runDir(), 'tc');
}

/** Where an object lives, as the Links know it. */
export interface OwnerPlace {
  /** The namespace reference as given (undefined: the caller's). */
  netns?: string;
  /** Its nsfs path ('' for the caller's namespace). */
  nsPath: string;
  /** The interface (ifb: the device's own name). */
  interface: string;
}

/** A handle on a recorded object; forget() once it is gone (or was never made). */
export interface OwnerToken {
  forget(): void;
}

const NONE: OwnerToken = { forget: () => undefined };

/** This process's record: its log, the objects recorded, and the entry forgotten last. */
interface MyRecord {
  log: OwnerLog<OwnerEntry>;
  objects: OwnerEntry[];
  forgotten?: OwnerEntry | undefined;
}

let mine: MyRecord | undefined;
let seq = 0;
let warned = false;

/**
 * How long an emptied record file stays (open, with every object forgotten) before it is
 * removed: a process that makes and removes objects in turn (attach, detach, attach) keeps one
 * file instead of creating and unlinking one per object. It goes at exit in any case.
 */
export const EMPTY_RECORD_LINGER_MS = 200;
let lingerTimer: NodeJS.Timeout | undefined;

/** Removes the record file when nothing is recorded (idle timer, exit registry). */
function removeIfEmpty(): void {
  const record = mine;
  if (!record) return;
  if (record.objects.length > 0) {
    guarded(() => record.log.flush()); // at exit: what was forgotten is written
    return;
  }
  untrack(exitCloser);
  if (record.log.isOpen) guarded(() => record.log.remove());
}

/**
 * Registered with the exit registry while the file exists. It is registered before the Link
 * of the object that created the file and the registry closes newest first, so at exit (and on
 * SIGINT/SIGTERM) it runs after the Links have forgotten their objects.
 */
const exitCloser: Closeable = {
  description: 'tc owner record',
  closeSync: removeIfEmpty,
};

/** When the record last became empty (performance.now()). */
let emptiedAt = 0;

/**
 * Arms the idle timer (once: a process that attaches and detaches in turn empties its record
 * every cycle, and re-arming a timer each time costs more than the cycle's write); when it fires
 * early, it waits out the rest of the linger from the last emptying.
 */
function lingerThenRemove(): void {
  emptiedAt = performance.now();
  if (!lingerTimer) lingerTimer = setTimeout(lingerEnded, EMPTY_RECORD_LINGER_MS).unref();
}

function lingerEnded(): void {
  lingerTimer = undefined;
  if (!mine || mine.objects.length > 0) return; // the next emptying arms it again
  const left = EMPTY_RECORD_LINGER_MS - (performance.now() - emptiedAt);
  if (left > 1) lingerTimer = setTimeout(lingerEnded, left).unref();
  else removeIfEmpty();
}

let myName: string | undefined;

let myDir: string | undefined;
let myPath = '';

function myFile(): string {
  const dir = runDir();
  if (dir !== myDir) {
    myName ??= `${process.pid}-${workerThreads().threadId}.json`;
    myPath = join(dir, 'tc', myName);
    myDir = dir;
  }
  return myPath;
}

/**
 * The namespace inode per place (a device's target object): taken at its first record. The
 * device's socket entered that namespace when it was opened, so its objects are made there even
 * if the name is given to a new namespace later; one stat per device, not per object.
 */
const placeInodes = new WeakMap<OwnerPlace, number>();

/** Runs a write of the record; a failure is logged once (the work itself goes on). */
function guarded(write: () => void): void {
  try {
    write();
  } catch (e) {
    if (!warned) {
      warned = true;
      logger().warn(
        `cannot write the tc owner record ${myFile()}; after a SIGKILL, tsbcc tc clean cannot find what this process made`,
        { error: (e as Error).message },
      );
    }
  }
}

function namespaceInode(nsPath: string): number {
  return statSync(nsPath || '/proc/self/ns/net').ino;
}

/**
 * Records an object about to be made (call before sending the request that makes it). The
 * object becomes the record's entry (the caller passes a fresh one and keeps no reference).
 * @returns the token to forget it with once it is removed, or if making it failed.
 */
export function recordOwned(place: OwnerPlace, object: OwnedTcObject): OwnerToken {
  let nsIno = placeInodes.get(place);
  try {
    if (nsIno === undefined) placeInodes.set(place, (nsIno = namespaceInode(place.nsPath)));
  } catch {
    return NONE; // the namespace is unreadable: the request will fail and say why
  }
  mine ??= {
    log: new OwnerLog(
      { pid: process.pid, pidStart: processStart(process.pid) ?? '' },
      { linger: true, deferForgets: true },
    ),
    objects: [],
  };
  const record = mine;
  const file = myFile();
  // An object like the one last forgotten, made right after it (nothing recorded since, its
  // forget line not written yet): its entry is taken back and names the new object, as it
  // would a torn forget line (attach, detach, attach costs no write).
  const again = record.forgotten;
  record.forgotten = undefined;
  if (again && again.seq === seq && sameObject(again, object, nsIno, place)) {
    let kept = false;
    guarded(() => (kept = record.log.unforget(file, again.seq)));
    if (kept) {
      record.objects.push(again);
      return tokenFor(record, again);
    }
  }
  const entry = Object.assign(object, { seq: ++seq, nsIno, interface: place.interface }) as OwnerEntry;
  if (place.netns) entry.netns = place.netns;
  record.objects.push(entry);
  guarded(() => record.log.add(file, entry, record.objects));
  if (record.log.isOpen) track(exitCloser); // (a Set: once)
  return tokenFor(record, entry);
}

/** Whether `e` records the same object (kind, identity, place) as `o` at `place`. */
function sameObject(e: OwnerEntry, o: OwnedTcObject, nsIno: number, place: OwnerPlace): boolean {
  if (e.nsIno !== nsIno || e.interface !== place.interface || e.netns !== (place.netns || undefined)) {
    return false;
  }
  const a = e as unknown as Record<string, unknown>;
  const b = o as unknown as Record<string, unknown>;
  for (const k in b) if (a[k] !== b[k]) return false;
  return true;
}

/** The token of an entry: its first forget() removes it from the record (later ones do nothing). */
function tokenFor(record: MyRecord, entry: OwnerEntry): OwnerToken {
  let done = false;
  return {
    forget() {
      if (done) return;
      done = true;
      const i = record.objects.indexOf(entry);
      if (i < 0) return;
      record.objects.splice(i, 1);
      guarded(() => record.log.forget(myFile(), entry.seq, record.objects));
      record.forgotten = entry;
      if (record.objects.length === 0) lingerThenRemove();
    },
  };
}

/** What clean did with one record. */
export interface OwnerCleanReport {
  pid: number;
  /** Objects found in the kernel and removed, described. */
  removed: string[];
  /** How many of `removed` are XDP programs (the others are tc objects: qdiscs, classes, filters, clsact, ifb devices). */
  removedXdp: number;
  /** Objects of the record outside the namespace asked about (left recorded). */
  skipped: number;
}

/** The records in `dir`, with their files; headerless files of dead processes are removed. */
function readRecords(dir: string): { file: string; record: OwnerRecord }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { file: string; record: OwnerRecord }[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const file = join(dir, n);
    let parsed: ParsedRecord<OwnerEntry> | undefined;
    try {
      parsed = parseRecord<OwnerEntry>(readFileSync(file, 'utf8'));
    } catch {
      continue; // gone since
    }
    if (parsed) {
      out.push({ file, record: { version: 2, ...parsed } });
      continue;
    }
    // No header: created by a process that died before its first write completed (it had sent
    // nothing yet), or a live one in that write. The pid is the name's first number.
    const pid = Number(/^(\d+)-/.exec(n)?.[1]);
    if (pid && processStart(pid) === undefined) rmSync(file, { force: true });
  }
  return out;
}

/** The nsfs path clean reaches a recorded namespace by, or undefined when it is gone/replaced. */
function reach(entry: OwnerEntry): string | undefined {
  const path = entry.netns ? (entry.netns.includes('/') ? entry.netns : `/run/netns/${entry.netns}`) : '';
  try {
    return namespaceInode(path) === entry.nsIno ? path : undefined;
  } catch {
    return undefined;
  }
}

function describe(e: OwnerEntry): string {
  const where = `${e.interface}${e.netns ? ` in namespace ${e.netns}` : ''}`;
  switch (e.type) {
    case 'qdisc':
      return `qdisc ${e.kind} on ${where}`;
    case 'class':
      return `htb class ${(e.classid >>> 16).toString(16)}:${(e.classid & 0xffff).toString(16)} on ${where}`;
    case 'filter':
      return `filter ${e.name} (program ${e.programId}) on ${where}`;
    case 'hook':
      return `clsact on ${where}`;
    case 'ifb':
      return `ifb device ${where}`;
    case 'xdp':
      return `XDP program ${e.programId} on ${where}`;
  }
}

/**
 * The one-line summary of a clean: `removed 2 tc objects and 1 XDP program of 1 dead process`
 * (both counts always, so a script can read either).
 */
export function cleanSummary(reports: readonly OwnerCleanReport[]): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const xdp = reports.reduce((n, r) => n + r.removedXdp, 0);
  const tc = reports.reduce((n, r) => n + r.removed.length, 0) - xdp;
  return `removed ${plural(tc, 'tc object', 'tc objects')} and ${plural(xdp, 'XDP program', 'XDP programs')} of ${plural(reports.length, 'dead process', 'dead processes')}`;
}

function run(nsPath: string, requests: NetlinkRequest[]): Promise<(Outcome | undefined)[]> {
  return transactIn(nsPath, requests);
}

function check(outcome: unknown): void {
  if (outcome instanceof NetlinkError && outcome.errno !== ERRNO.ENOENT && outcome.errno !== ERRNO.ENODEV) {
    throw outcome;
  }
}

/** Removes one recorded object if the kernel still has it; true when it removed something. */
async function removeEntry(e: OwnerEntry, nsPath: string): Promise<boolean> {
  const op = (what: string): string => `${what} (tc clean of a dead process's ${describe(e)})`;
  switch (e.type) {
    case 'filter': {
      const [dump] = await run(nsPath, [
        { message: dumpFilters(e.ifindex, e.parent), operation: op('list filters') },
      ]);
      if (!Array.isArray(dump)) return false;
      const found = dump
        .map(parseFilterReply)
        .filter((f) => f.kind === 'bpf' && f.programId === e.programId && f.name === e.name);
      if (!found.length) return false;
      const outcomes = await run(
        nsPath,
        found.map((f) => ({
          message: filterRequest('delete', e.ifindex, f),
          operation: op('delete filter'),
        })),
      );
      outcomes.forEach(check);
      return true;
    }
    case 'hook': {
      const dumps = await run(
        nsPath,
        [PARENT_INGRESS, PARENT_EGRESS].map((parent) => ({
          message: dumpFilters(e.ifindex, parent),
          operation: op('list filters'),
        })),
      );
      if (!dumps.every((d) => Array.isArray(d) && d.length === 0)) return false;
      return deleteIfPresent(e, nsPath, 'clsact', HOOK_QDISC_HANDLE, TC_H.CLSACT, op);
    }
    case 'qdisc':
      return deleteIfPresent(e, nsPath, e.kind, e.handle, e.parent, op);
    case 'class': {
      const [r] = await run(nsPath, [
        { message: deleteClass(e.ifindex, e.classid, e.parent), operation: op('delete class') },
      ]);
      check(r);
      return !(r instanceof NetlinkError);
    }
    case 'ifb': {
      const [r] = await run(nsPath, [getLinkRequest({ name: e.name }, op('look up'))]);
      if (!Array.isArray(r) || !r[0]) return false;
      const link = parseLink(r[0]);
      if (link.kind !== 'ifb') return false;
      const del = deleteLink(e.name, link.index);
      const [d] = await run(nsPath, [{ message: del.message, operation: op('delete') }]);
      check(d);
      return !(d instanceof NetlinkError);
    }
    case 'xdp':
      return (await detachXdpIfRunning(nsPath, e.ifindex, e.programId, op('detach'))) !== undefined;
  }
}

async function deleteIfPresent(
  e: OwnerEntry & { ifindex: number },
  nsPath: string,
  kind: string,
  handle: number,
  parent: number,
  op: (what: string) => string,
): Promise<boolean> {
  const [list] = await run(nsPath, [{ message: dumpQdiscs(e.ifindex), operation: op('list qdiscs') }]);
  if (!Array.isArray(list)) return false;
  const present = list
    .map((m) => decodeTcObject(m, 'qdisc'))
    .some((q) => q.ifindex === e.ifindex && q.kind === kind && (handle === 0 || q.handle === handle));
  if (!present) return false;
  const [r] = await run(nsPath, [
    { message: deleteQdisc(e.ifindex, kind, handle, parent), operation: op('delete') },
  ]);
  check(r);
  return !(r instanceof NetlinkError);
}

/**
 * Removes what dead tsbcc processes recorded (see the module comment), newest first, and their
 * records; live processes' records are never touched. With `netns`, only objects in that
 * namespace (name or nsfs path) are removed, and the rest stay recorded.
 * @throws NetlinkError when the kernel refuses a removal (the record is kept for a retry).
 */
export async function cleanDeadOwners(
  opts: { netns?: string; dir?: string } = {},
): Promise<OwnerCleanReport[]> {
  const dir = opts.dir ?? ownerRecordDir();
  const onlyIno =
    opts.netns === undefined
      ? undefined
      : namespaceInode(opts.netns.includes('/') ? opts.netns : `/run/netns/${opts.netns}`);
  const reports: OwnerCleanReport[] = [];
  for (const { file, record } of readRecords(dir)) {
    if (processStart(record.pid) === record.pidStart) continue; // alive
    const report: OwnerCleanReport = { pid: record.pid, removed: [], removedXdp: 0, skipped: 0 };
    const left: OwnerEntry[] = [];
    let failure: unknown;
    // newest first, and a clsact hook after every filter (it is removed only once empty, and
    // the filter that needed it was recorded before it)
    const order = (e: OwnerEntry): number => (e.type === 'hook' ? -1e9 : 0) + e.seq;
    for (const e of [...record.objects].sort((a, b) => order(b) - order(a))) {
      if (onlyIno !== undefined && e.nsIno !== onlyIno) {
        left.push(e);
        report.skipped++;
        continue;
      }
      const nsPath = reach(e);
      if (nsPath === undefined) {
        // a named namespace that is gone took everything in it; the owner's own namespace may
        // just not be this process's: keep that recorded
        if (!e.netns) {
          left.push(e);
          report.skipped++;
        }
        continue;
      }
      try {
        if (await removeEntry(e, nsPath)) {
          report.removed.push(describe(e));
          if (e.type === 'xdp') report.removedXdp++;
        }
      } catch (err) {
        failure ??= err;
        left.push(e);
      }
    }
    if (left.length) {
      writeRecordAtomically(
        file,
        record,
        left.sort((a, b) => a.seq - b.seq),
      );
    } else {
      rmSync(file, { force: true });
    }
    reports.push(report);
    if (failure) throw failure;
  }
  return reports;
}
