/**
 * Probe events made through tracefs (`kprobe_events`), the legacy interface BCC uses for a
 * kretprobe with `maxactive` (the kprobe PMU has no such parameter) and where the kernel has
 * kprobe_events but no kprobe PMU. Each event is named `tsbcc_<pid>_<seq>_<function>`, is
 * opened as a tracepoint, and is removed again when its link closes; events a dead tsbcc
 * process left behind are removed on the next creation.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NotSupportedError, SyscallError } from '../errors.js';
import { errnoName } from '../errno.js';
import { tracefsRoot } from './tracefs.js';

/** A probe event that exists in tracefs until `remove()`. */
export interface ProbeEvent {
  /** `kprobes/<name>`. */
  name: string;
  /** The tracepoint id to perf_event_open. */
  id: number;
  /** Deletes the event; idempotent. Close every perf fd on it first. */
  remove(): void;
}

let seq = 0;
let sweptStale = false;

function eventsFile(): string {
  const root = tracefsRoot();
  const file = root ? join(root, 'kprobe_events') : undefined;
  if (!file || !existsSync(file))
    throw new NotSupportedError(
      'kprobe events (tracefs kprobe_events)',
      'CONFIG_KPROBE_EVENTS',
      'attach to the matching tracepoint instead',
    );
  return file;
}

function write(file: string, line: string, what: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SyscallError('open', Math.abs(err.errno ?? 5), err.code ?? 'EIO', file, { cause: e });
  }
  try {
    writeSync(fd, line);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const errno = Math.abs(err.errno ?? 5);
    throw new SyscallError(`write ${file}`, errno, err.code ?? errnoName(errno), `"${line}" (${what})`, {
      cause: e,
    });
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `tsbcc_<pid>_...` events whose process is gone (a crash or SIGKILL left them). */
function sweepStale(file: string): void {
  if (sweptStale) return;
  sweptStale = true;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const m of text.matchAll(/^[pr]\d*:(kprobes\/tsbcc_(\d+)_\d+_\S*)/gm)) {
    const pid = Number(m[2]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      write(file, `-:${m[1]}`, 'stale event');
    } catch {
      // in use or gone: leave it
    }
  }
}

/**
 * Creates a kprobe (`retprobe` false) or kretprobe event on kernel function `fn` through
 * tracefs, with `maxactive` instances for a kretprobe (0: the kernel's default) or an offset
 * for a kprobe.
 * @throws NotSupportedError without kprobe_events; SyscallError when the kernel refuses (ENOENT:
 *   no such function; EINVAL: not probeable).
 */
export function createKprobeEvent(
  fn: string,
  opts: { retprobe?: boolean; maxactive?: number; offset?: number } = {},
): ProbeEvent {
  const file = eventsFile();
  sweepStale(file);
  const safe = fn.replace(/[^A-Za-z0-9_]/g, '_');
  const name = `kprobes/${`tsbcc_${process.pid}_${seq++}_${safe}`.slice(0, 63)}`;
  const head = opts.retprobe ? `r${opts.maxactive && opts.maxactive > 0 ? opts.maxactive : ''}` : 'p';
  const target = !opts.retprobe && opts.offset ? `${fn}+${opts.offset}` : fn;
  write(file, `${head}:${name} ${target}`, opts.retprobe ? 'kretprobe' : 'kprobe');
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    try {
      write(file, `-:${name}`, 'remove');
    } catch (e) {
      if ((e as SyscallError).errno !== 2 /* ENOENT: already gone */) throw e;
    }
  };
  const root = tracefsRoot() ?? '';
  try {
    const id = Number.parseInt(readFileSync(join(root, 'events', name, 'id'), 'utf8'), 10);
    return { name, id, remove };
  } catch (e) {
    remove();
    throw new SyscallError('read', 2, 'ENOENT', `${join(root, 'events', name, 'id')} after creating it`, {
      cause: e,
    });
  }
}
