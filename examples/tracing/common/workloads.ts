/**
 * The workloads the tracing examples generate in --duration mode (and their tests): processes
 * that fork, a process that sleeps, direct I/O to a loop device, a reader fed at a known pace.
 * Each knows what it did (pids, counts, sizes) so the example can check that its output shows
 * exactly that; each removes what it made, also on failure.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TsbccError } from '../../../src/index.js';

const run = promisify(execFile);

/** A finished child process: its pid and exit code. */
export interface Ran {
  pid: number;
  code: number | null;
}

/** Spawns argv, waits for it to exit. @throws TsbccError when it cannot start. */
export function runChild(argv: string[], input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0] ?? '', argv.slice(1), {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'],
    });
    c.once('error', (e) =>
      reject(new TsbccError(`cannot run ${argv[0]}: ${e.message}`, 'ENOENT', { cause: e })),
    );
    c.once('exit', (code) => resolve({ pid: c.pid ?? -1, code }));
    if (input !== undefined) c.stdin?.end(input);
  });
}

/**
 * A shell that forks `n` children (`true & ... wait`): `n` clone(2) calls by the shell's pid
 * (glibc's fork is the clone syscall).
 */
export function forkWorkload(n: number): Promise<Ran> {
  return runChild(['/bin/sh', '-c', `${'true & '.repeat(n)}wait`]);
}

/** A single-threaded python process that sleeps `n` times for `ms` milliseconds. */
export function sleepWorkload(n: number, ms: number): Promise<Ran> {
  return runChild(['python3', '-c', `import time\nfor _ in range(${n}):\n    time.sleep(${ms / 1000})\n`]);
}

/** A loop device over a sparse file, for direct I/O whose requests are known. */
export interface LoopDevice {
  /** `/dev/loopN`. */
  path: string;
  /** `loopN`. */
  name: string;
  /** The kernel's dev_t as tracepoints show it: major << 20 | minor. */
  dev: number;
  /** Writes `count` blocks of `bs` bytes with O_DIRECT (dd oflag=direct). */
  write(bs: number, count: number): Promise<void>;
  /** Reads `count` blocks of `bs` bytes with O_DIRECT (dd iflag=direct). */
  read(bs: number, count: number): Promise<void>;
  /** Detaches the device and removes the file; idempotent. */
  close(): void;
}

/**
 * Sets up a loop device over a 16 MiB file in the temp directory (loading the loop module
 * where it is one).
 * @throws TsbccError when no loop device can be made (no CONFIG_BLK_DEV_LOOP).
 */
export async function loopDevice(): Promise<LoopDevice> {
  if (!existsSync('/dev/loop-control')) {
    try {
      await run('modprobe', ['loop']);
    } catch {
      // built in, or not there at all: losetup says which
    }
  }
  const file = join(tmpdir(), `tsbcc-loop-${randomBytes(4).toString('hex')}.img`);
  writeFileSync(file, '');
  execFileSync('truncate', ['-s', '16M', file]);
  let path: string;
  try {
    path = (await run('losetup', ['--find', '--show', '--direct-io=off', file])).stdout.trim();
  } catch (e) {
    rmSync(file, { force: true });
    throw new TsbccError(
      `cannot set up a loop device (CONFIG_BLK_DEV_LOOP): ${(e as Error).message}`,
      'ENODEV',
      {
        cause: e,
      },
    );
  }
  const name = path.replace('/dev/', '');
  const [major = 0, minor = 0] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
  let closed = false;
  const dd = async (args: string[]): Promise<void> => {
    await run('dd', [...args, 'status=none']);
  };
  return {
    path,
    name,
    dev: (major << 20) | minor,
    write: (bs, count) => dd(['if=/dev/zero', `of=${path}`, `bs=${bs}`, `count=${count}`, 'oflag=direct']),
    read: (bs, count) => dd([`if=${path}`, 'of=/dev/null', `bs=${bs}`, `count=${count}`, 'iflag=direct']),
    close() {
      if (closed) return;
      closed = true;
      try {
        execFileSync('losetup', ['-d', path], { stdio: 'ignore' });
      } finally {
        rmSync(file, { force: true });
      }
    },
  };
}

/** A process blocked reading its stdin one byte at a time, fed at a known pace. */
export interface PacedReader {
  pid: number;
  /**
   * Writes `n + 1` bytes: the first ends the read that was blocked when the reader started;
   * each of the others is written `gapMs` after the reader was seen blocked in its next
   * read(2), so each of those `n` reads lasts at least `gapMs`, however loaded the machine
   * (a reader that is slow to run only makes its reads longer). Resolves when the reader has
   * exited; returns early after close().
   * @throws TsbccError (EPIPE) when the reader exits or stops reading before the end.
   */
  feed(n: number, gapMs: number): Promise<void>;
  /** Kills it if still running; a feed() under way stops. */
  close(): void;
}

/** Bytes dd has read so far (`rchar` of /proc/PID/io), or undefined when it is gone. */
function bytesRead(pid: number): number | undefined {
  try {
    const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the task is asleep in read(2) of fd 0 (/proc/PID/syscall: `0 0x0 ...` on x86_64). */
function blockedReadingStdin(pid: number): boolean {
  try {
    return /^0 0x0 /.test(readFileSync(`/proc/${pid}/syscall`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `dd bs=1 count=N+1` reading its stdin, started and left blocked in its first read(2) (so a
 * tracer attached now sees only the reads that follow).
 * @throws TsbccError when dd does not block reading its stdin within 10 s.
 */
export async function pacedReader(reads: number): Promise<PacedReader> {
  const c = spawn('dd', ['bs=1', `count=${reads + 1}`, 'of=/dev/null', 'status=none'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const pid = c.pid ?? -1;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  const gone = (): boolean => c.exitCode !== null || c.signalCode !== null;
  // a write to a dd that has exited (killed by close(), or gone on its own) fails with EPIPE:
  // kept here and reported by feed() as a typed error, never an unhandled 'error' event
  let writeError: Error | undefined;
  c.stdin?.on('error', (e) => (writeError ??= e));
  let closed = false;
  const stopped = (fed: number, total: number): TsbccError =>
    new TsbccError(
      `dd (pid ${pid}) stopped after ${fed} of ${total} bytes: ${writeError?.message ?? (gone() ? `exit ${c.exitCode ?? c.signalCode}` : 'it did not read the last one within 10 s')}`,
      'EPIPE',
    );
  /** Waits until dd has consumed `consumed` bytes beyond `base` and sleeps in its next read. */
  const waitBlocked = async (base: number, consumed: number): Promise<boolean> => {
    const end = Date.now() + 10_000;
    while (!closed && !gone() && Date.now() < end) {
      // rchar first: once the bytes are counted, a sleeping read(2) can only be the next one
      if (bytesRead(pid) === base + consumed && blockedReadingStdin(pid)) return true;
      await new Promise((r) => setTimeout(r, 2));
    }
    return false;
  };
  const base = await (async (): Promise<number> => {
    const end = Date.now() + 10_000;
    for (;;) {
      const before = bytesRead(pid);
      if (before !== undefined && blockedReadingStdin(pid) && bytesRead(pid) === before) return before;
      if (gone() || Date.now() > end) {
        c.kill('SIGKILL');
        throw new TsbccError(`dd (pid ${pid}) did not block reading its stdin within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    pid,
    async feed(n, gapMs) {
      for (let i = 0; i <= n; i++) {
        if (!(await waitBlocked(base, i))) {
          if (closed) return; // close() ended the workload
          throw stopped(i, n + 1);
        }
        await new Promise((r) => setTimeout(r, gapMs));
        if (closed) return;
        if (writeError || gone()) throw stopped(i, n + 1);
        c.stdin?.write('x');
      }
      c.stdin?.end();
      await exited;
    },
    close() {
      closed = true;
      if (!gone()) c.kill('SIGKILL');
    },
  };
}

/**
 * A python process that loads libc with ctypes, runs `setup`, prints `ready`, waits for a line
 * on stdin (go()), runs `work`, prints `done` and waits again, so the example can attach
 * between the steps and read its maps while the process still lives. The handshake is raw
 * read(2)/write(2) (os.read/os.write): no text decoding or encoding runs inside the window
 * between `ready` and `done` but the work itself (a text readline calls strlen and malloc).
 */
export class SteppedPython {
  readonly child: ChildProcess;
  private out = '';

  constructor(setup: readonly string[], work: readonly string[]) {
    const py = [
      'import ctypes, os, sys',
      "libc = ctypes.CDLL('libc.so.6')",
      ...setup,
      "os.write(1, b'ready\\n')",
      'os.read(0, 3)',
      ...work,
      "os.write(1, b'done\\n')",
      'os.read(0, 3)',
    ].join('\n');
    this.child = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => (this.out += d));
  }

  /** The process's pid (-1 when it could not start). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** What the process wrote to its stdout so far (the work may write results there). */
  get output(): string {
    return this.out;
  }

  /**
   * Waits until the process printed `word`.
   * @throws TsbccError when it exits first or stays silent for a minute.
   */
  async until(word: string): Promise<void> {
    const end = Date.now() + 60_000;
    while (!this.out.includes(word)) {
      if (this.child.exitCode !== null)
        throw new TsbccError(`the python workload exited ${this.child.exitCode}`, 'EIO');
      if (Date.now() > end) throw new TsbccError(`the python workload did not print "${word}"`, 'ETIMEDOUT');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Lets the process run its work. */
  go(): void {
    this.child.stdin?.write('go\n');
  }

  /** Ends the process (stdin closed; killed if still running). */
  end(): void {
    this.child.stdin?.end();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
