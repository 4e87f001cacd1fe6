/**
 * The tc owner record's file: an append-only log, one JSON value a line, so that recording or
 * forgetting an object costs one write(2) on a file the process keeps open (no temporary file,
 * no rename: on ext4 those cost 100-300 us each, more than a netlink round trip).
 *
 * ```
 * {"version":2,"pid":1234,"pidStart":"5678"}    header, written with the first entry
 * {"add":{"type":"filter",...,"seq":1}}          an object about to be made
 * {"forget":1}                                   an object removed (by its seq)
 * ```
 *
 * Only its own process (thread) writes a file, and only by appending, so a file can be torn in
 * one place only: its last line, when the writer died inside the write. Readers drop a last line
 * without its newline; such a line was being written before the request that makes its object
 * (so the object was never asked for), or it forgot an object (which then stays a candidate
 * that clean checks in the kernel first). A file whose log has grown past a few times its live
 * content is compacted: written whole to a private file, renamed into place.
 * Version 1 files (one JSON object, written by earlier tsbcc) are still read.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { native } from '../native.js';

/** The header of a record: whose it is. */
export interface OwnerHeader {
  pid: number;
  /** The owner's start time (/proc/PID/stat field 22): a reused pid is not the owner. */
  pidStart: string;
}

/** An entry of a record: anything with a sequence number. */
export interface LoggedEntry {
  seq: number;
}

/** A record as read back: its header and the entries not forgotten, in seq order. */
export interface ParsedRecord<E extends LoggedEntry> extends OwnerHeader {
  objects: E[];
}

/** Removes a file; one already gone is fine. */
function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function headerLine(h: OwnerHeader): string {
  return `${JSON.stringify({ version: 2, pid: h.pid, pidStart: h.pidStart })}\n`;
}

/** The whole record in the log format (a header and one `add` line per entry). */
export function formatRecord<E extends LoggedEntry>(h: OwnerHeader, objects: readonly E[]): string {
  return headerLine(h) + objects.map((o) => `${JSON.stringify({ add: o })}\n`).join('');
}

/**
 * Reads a record file's text (version 2 log or version 1 JSON).
 * @returns undefined when it holds no header (empty, or not a record).
 */
export function parseRecord<E extends LoggedEntry>(text: string): ParsedRecord<E> | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{"version":1')) {
    try {
      const v1 = JSON.parse(trimmed) as ParsedRecord<E>;
      return { pid: v1.pid, pidStart: v1.pidStart, objects: v1.objects };
    } catch {
      return undefined;
    }
  }
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a torn last line
  let header: OwnerHeader | undefined;
  const live = new Map<number, E>();
  for (const line of lines) {
    let v: { version?: number; pid?: number; pidStart?: string; add?: E; forget?: number };
    try {
      v = JSON.parse(line) as typeof v;
    } catch {
      continue; // cannot be in a file written by appends; skip rather than lose the rest
    }
    if (v.version === 2 && typeof v.pid === 'number') header = { pid: v.pid, pidStart: String(v.pidStart) };
    else if (v.add && typeof v.add.seq === 'number') live.set(v.add.seq, v.add);
    else if (typeof v.forget === 'number') live.delete(v.forget);
  }
  if (!header) return undefined;
  return { ...header, objects: [...live.values()].sort((a, b) => a.seq - b.seq) };
}

/**
 * Writes a whole record atomically (a private file renamed into place), for clean and for
 * compaction.
 */
export function writeRecordAtomically<E extends LoggedEntry>(
  file: string,
  h: OwnerHeader,
  objects: readonly E[],
): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, formatRecord(h, objects));
  renameSync(tmp, file);
}

/** Moves a record of another owner that sits at our file's name (a reused pid) out of the way. */
function moveAside(file: string, h: OwnerHeader): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // not there
  }
  const other = parseRecord(text);
  if (other && other.pid === h.pid && other.pidStart === h.pidStart) return; // ours
  renameSync(file, file.replace(/\.json$/, `.${other?.pidStart ?? 'unknown'}.json`));
}

/** Options of an {@link OwnerLog}. */
export interface OwnerLogOptions {
  /**
   * When the last object is forgotten, append its `forget` line and keep the file open instead
   * of removing it at once; the owner removes it with {@link OwnerLog.remove} (when it has
   * stayed empty for a while, and at exit). A record whose objects are all forgotten names
   * nothing for clean to look at, and clean removes it once its process is dead. This saves
   * creating and unlinking the file (two journaled metadata changes) for each object made and
   * removed in turn. Default false: removed with the last object.
   */
  linger?: boolean;
  /**
   * Write each `forget` line with the next write (the next object's `add`) or in a
   * setImmediate callback, whichever comes first, instead of at once: an attach+detach cycle
   * then costs one write(2). Until it is written the record names an object already removed,
   * as a torn forget line does: after a SIGKILL in that window clean checks the kernel first
   * (a filter only while it still runs the recorded program under the recorded name). Default
   * false: written at once.
   */
  deferForgets?: boolean;
}

/**
 * The writer of one process's (thread's) record file: created with the first object, appended
 * to while objects live, removed when the last one is forgotten (or later: `linger`).
 */
export class OwnerLog<E extends LoggedEntry> {
  private fd: number | undefined;
  private file: string | undefined;
  private bytes = 0;
  private compactAt = 0;
  /** Bytes of the header line at the start of the open file (0: unknown). */
  private headerBytes = 0;
  private readonly linger: boolean;

  private readonly deferForgets: boolean;
  /** Forget lines not written yet (deferForgets). */
  private pending = '';
  private flushQueued = false;

  constructor(
    private readonly header: OwnerHeader,
    opts: OwnerLogOptions = {},
  ) {
    this.linger = opts.linger === true;
    this.deferForgets = opts.deferForgets === true;
  }

  /**
   * Writes the forget lines not written yet (deferForgets).
   * @throws Error (a Node system error) when the file cannot be written.
   */
  flush(): void {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    if (this.fd !== undefined) this.append(text);
  }

  /** Whether a file is open (created and not removed since). */
  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /**
   * Records `entry`, about to be made; `live` is every object recorded now, `entry` included.
   * @throws Error (a Node system error) when the file cannot be written.
   */
  add(file: string, entry: E, live: readonly E[]): void {
    if (this.fd !== undefined && this.file === file) {
      // the pending forget lines and the add in one write, while the file still has a name
      let n: number;
      try {
        n = native().appendIfLinked(this.fd, `${this.pending}{"add":${JSON.stringify(entry)}}\n`);
      } catch (e) {
        this.file = undefined; // the next write starts the file over
        throw e;
      }
      if (n >= 0) {
        this.pending = '';
        this.bytes += n;
        return;
      }
    }
    if (live.length === 1 && live[0] === entry) {
      this.create(file, formatRecord(this.header, live));
    } else {
      this.rewrite(file, live);
    }
  }

  /**
   * Records that the object `seq` is gone, or removes the file when `live` (the objects left)
   * is empty (unless it lingers).
   * @throws Error (a Node system error) when the file cannot be written.
   */
  forget(file: string, seq: number, live: readonly E[]): void {
    if (this.fd === undefined || this.file !== file) {
      // not (or no longer) writing this file: start over with what lives, or have none
      if (live.length > 0) this.rewrite(file, live);
      else {
        this.remove();
        unlinkIfThere(file);
      }
    } else if (live.length === 0 && !this.linger) {
      this.remove();
    } else if (live.length > 0 && !this.intact()) {
      this.rewrite(file, live); // removed under us: the objects still alive go in a new file
    } else {
      // (Nothing alive: a forget that went to a file removed under us loses nothing.)
      if (this.deferForgets) {
        this.pending += `{"forget":${seq}}\n`;
        if (this.bytes + this.pending.length > this.compactAt) {
          // compaction: the whole live set, so the pending forgets need no writing
          if (live.length === 0 && this.headerBytes > 0) {
            this.pending = '';
            this.truncateToHeader();
          } else this.rewrite(file, live);
          return;
        }
        if (!this.flushQueued) {
          this.flushQueued = true;
          setImmediate(() => {
            this.flushQueued = false;
            try {
              this.flush();
            } catch {
              // the next add starts the file over when it cannot be written
            }
          });
        }
        return;
      }
      this.append(`{"forget":${seq}}\n`);
      if (this.bytes > this.compactAt) {
        if (live.length === 0 && this.headerBytes > 0) this.truncateToHeader();
        else this.rewrite(file, live);
      }
    }
  }

  /**
   * Takes back the forget of `seq` while it is still unwritten and the last one pending
   * (deferForgets), and the file still has a name: the entry then stays recorded as it was
   * written, for an object like it that is about to be made (see recordOwned). No write.
   * @returns whether it did (false: record the new object with {@link add}).
   * @throws Error (a Node system error) when the file cannot be checked.
   */
  unforget(file: string, seq: number): boolean {
    if (this.fd === undefined || this.file !== file || !this.pending) return false;
    const line = `{"forget":${seq}}\n`;
    if (!this.pending.endsWith(line)) return false;
    if (native().appendIfLinked(this.fd, '') < 0) return false; // removed under us: add() starts over
    this.pending = this.pending.slice(0, this.pending.length - line.length);
    return true;
  }

  /** Closes and removes the file (nothing of this process left to record). */
  remove(): void {
    const { fd, file } = this;
    this.pending = '';
    this.fd = undefined;
    this.file = undefined;
    try {
      if (file !== undefined) unlinkIfThere(file);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The open file still has a name (nobody removed it or its directory since). */
  private intact(): boolean {
    try {
      return fstatSync(this.fd as number).nlink > 0;
    } catch {
      return false;
    }
  }

  private append(text: string): void {
    const buf = Buffer.from(text);
    const n = writeSync(this.fd as number, buf);
    this.bytes += n;
    if (n !== buf.length) {
      const file = this.file;
      this.file = undefined; // the next write starts the file over
      throw Object.assign(new Error(`short write to ${file ?? 'the owner record'} (disk full?)`), {
        code: 'EIO',
      });
    }
  }

  /** Forgets the open file (closing it; removing it when it is not `keep`). */
  private drop(keep: string): void {
    const { fd, file } = this;
    this.pending = ''; // what follows (a new file, or one with the whole live set) covers it
    this.fd = undefined;
    this.file = undefined;
    if (fd !== undefined) closeSync(fd);
    if (file !== undefined && file !== keep) unlinkIfThere(file);
  }

  /**
   * Compaction when nothing lives: cut the file back to its header, one ftruncate. (A reader
   * racing it may see a forget cut away from its add; readers act only on the records of dead
   * owners, which write nothing.)
   */
  private truncateToHeader(): void {
    ftruncateSync(this.fd as number, this.headerBytes);
    this.bytes = this.headerBytes;
  }

  private opened(file: string, fd: number, size: number): void {
    this.fd = fd;
    this.file = file;
    this.bytes = size;
    this.compactAt = Math.max(4 * this.bytes, 64 * 1024);
    this.headerBytes = 0;
  }

  /** Creates the file with `text` (one write: a torn one holds no complete entry line). */
  private create(file: string, text: string): void {
    this.drop(file);
    let fd: number | undefined;
    for (let attempt = 0; fd === undefined; attempt++) {
      try {
        fd = openSync(file, 'ax');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt >= 2 || (code !== 'ENOENT' && code !== 'EEXIST')) throw e;
        if (code === 'ENOENT') mkdirSync(dirname(file), { recursive: true });
        else {
          moveAside(file, this.header);
          unlinkIfThere(file); // ours, from before: replaced whole
        }
      }
    }
    this.opened(file, fd, 0);
    this.append(text);
    this.headerBytes = text.indexOf('\n') + 1;
  }

  /** Writes the whole record to `file` atomically and appends to it from now on. */
  private rewrite(file: string, live: readonly E[]): void {
    this.drop(file);
    try {
      moveAside(file, this.header);
      writeRecordAtomically(file, this.header, live);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(file), { recursive: true });
      writeRecordAtomically(file, this.header, live);
    }
    const fd = openSync(file, 'a');
    this.opened(file, fd, fstatSync(fd).size);
    this.headerBytes = Buffer.byteLength(headerLine(this.header));
  }
}
