/**
 * A private tracefs instance for bpf_trace_printk output. The top-level trace_pipe takes one
 * reader at a time (EBUSY for a second one on recent kernels), and each line goes to whichever
 * reader reads it first. Since 5.10 bpf_trace_printk is the trace event
 * `bpf_trace:bpf_trace_printk`, so an instance (`instances/tsbcc-<pid>-<start>-<seq>`) with that
 * event enabled receives its own copy of every line: any number of readers, none taking lines
 * from another, and the top-level buffer keeps getting them too (BCC's readers and
 * `cat trace_pipe` are unaffected).
 *
 * The instance is named after its owner (pid and process start time), removed when its reader
 * closes, and {@link reapTraceInstances} removes those whose owner has died (SIGKILL).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyscallError } from '../errors.js';

/** The prefix of every instance tsbcc creates. */
export const TRACE_INSTANCE_PREFIX = 'tsbcc-';

const EVENT = join('events', 'bpf_trace', 'bpf_trace_printk', 'enable');
let seq = 0;

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the comm (field 2) may hold spaces and parentheses: count from its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether bpf_trace_printk output can be read from an instance under `root`: instances exist
 * and bpf_trace_printk is a trace event (Linux 5.10+; before, it wrote to the top-level buffer
 * only).
 */
export function traceInstancesUsable(root: string): boolean {
  return existsSync(join(root, 'instances')) && existsSync(join(root, EVENT));
}

/** A tracefs instance receiving bpf_trace_printk lines, until {@link TraceInstance.removeSync}. */
export class TraceInstance {
  private removed = false;

  private constructor(
    /** The instance's directory (`<tracefs>/instances/tsbcc-...`). */
    readonly dir: string,
  ) {}

  /** Path of the instance's trace_pipe. */
  get pipePath(): string {
    return join(this.dir, 'trace_pipe');
  }

  /**
   * Creates an instance under `root` (a tracefs mount) with bpf_trace:bpf_trace_printk enabled.
   * Nothing is left when it throws.
   * @throws SyscallError when the directory cannot be made or the event cannot be enabled.
   */
  static create(root: string): TraceInstance {
    const name = `${TRACE_INSTANCE_PREFIX}${process.pid}-${startTime(process.pid) ?? '0'}-${seq++}`;
    const dir = join(root, 'instances', name);
    try {
      mkdirSync(dir);
    } catch (e) {
      throw syscallError('mkdir', dir, e);
    }
    const inst = new TraceInstance(dir);
    try {
      writeFileSync(join(dir, EVENT), '1');
    } catch (e) {
      inst.removeSync();
      throw syscallError('write', join(dir, EVENT), e);
    }
    return inst;
  }

  /**
   * Removes the instance (its buffer and event with it); idempotent. Its trace_pipe must be
   * closed first (the kernel refuses with EBUSY while a file of it is open).
   * @throws SyscallError when the kernel refuses.
   */
  removeSync(): void {
    if (this.removed) return;
    try {
      rmdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw syscallError('rmdir', this.dir, e);
    }
    this.removed = true;
  }
}

function syscallError(op: string, path: string, e: unknown): SyscallError {
  const err = e as NodeJS.ErrnoException;
  return new SyscallError(op, Math.abs(err.errno ?? 5), err.code ?? 'EIO', path, { cause: e });
}

/** The tsbcc instances under `root`, with their owner's pid and start time. */
export function listTraceInstances(root: string): { name: string; pid: number; start: string }[] {
  let names: string[];
  try {
    names = readdirSync(join(root, 'instances'));
  } catch {
    return [];
  }
  const out: { name: string; pid: number; start: string }[] = [];
  for (const name of names) {
    const m = /^tsbcc-(\d+)-(\d+)-\d+$/.exec(name);
    if (m?.[1] && m[2]) out.push({ name, pid: Number(m[1]), start: m[2] });
  }
  return out;
}

/**
 * Removes the tsbcc instances under `root` whose owner is gone (no such pid, or the pid now
 * belongs to a process started at another time). Instances of live owners are kept; one the
 * kernel refuses to remove (still open somewhere) is skipped. Returns the names removed.
 */
export function reapTraceInstances(root: string): string[] {
  const removed: string[] = [];
  for (const i of listTraceInstances(root)) {
    if (startTime(i.pid) === i.start) continue;
    try {
      rmdirSync(join(root, 'instances', i.name));
      removed.push(i.name);
    } catch {
      // still open by someone, or already gone
    }
  }
  return removed;
}
