/**
 * The workloads the tracing examples generate in --duration mode (and their tests): processes
 * that fork, a process that sleeps, direct I/O to a loop device, a reader fed at a known pace.
 * Each knows what it did (pids, counts, sizes) so the example can check that its output shows
 * exactly that; each removes what it made, also on failure.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
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
   * Writes `n` bytes, one every `gapMs`, so each of the reader's next `n` reads blocks about
   * that long; resolves when the reader has exited (after `n` reads beyond the first).
   */
  feed(n: number, gapMs: number): Promise<void>;
  /** Kills it if still running. */
  close(): void;
}

/**
 * `dd bs=1 count=N+1` reading its stdin, started and left blocked in its first read(2) (so a
 * tracer attached now sees only the reads that follow).
 */
export async function pacedReader(reads: number): Promise<PacedReader> {
  const c = spawn('dd', ['bs=1', `count=${reads + 1}`, 'of=/dev/null', 'status=none'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const pid = c.pid ?? -1;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  // blocked in read(2): /proc/PID/syscall starts with the read syscall's number (0 on x86_64)
  const end = Date.now() + 10_000;
  for (;;) {
    let sys = '';
    try {
      sys = readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      // not there yet
    }
    if (/^0 0x0 /.test(sys)) break;
    if (Date.now() > end) {
      c.kill('SIGKILL');
      throw new TsbccError(`dd (pid ${pid}) did not block reading its stdin within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    pid,
    async feed(n, gapMs) {
      for (let i = 0; i <= n; i++) {
        await new Promise((r) => setTimeout(r, gapMs));
        c.stdin?.write('x');
      }
      c.stdin?.end();
      await exited;
    },
    close() {
      if (c.exitCode === null) c.kill('SIGKILL');
    },
  };
}
