/**
 * Processes inside a named namespace, through child_process with argument arrays
 * (`ip netns exec NAME cmd...`), never a shell string: exec (await exit, output captured) and
 * spawn (long-running, streamed output, ended on destroy).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, TopologyError } from '../errors.js';
import { childProcess } from '../util/node-builtins.js';

/** Options for {@link execIn}. */
export interface ExecOptions {
  /** Kill the process after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Text written to stdin. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Reject when the exit code is not 0 (default false: the result tells). */
  check?: boolean;
  signal?: AbortSignal;
}

/** The outcome of {@link execIn}. */
export interface ExecResult {
  /** Exit code, or null when ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The argument vector that ran (inside the namespace). */
  argv: string[];
}

function checkArgv(argv: readonly string[]): void {
  if (argv.length === 0 || typeof argv[0] !== 'string' || argv[0] === '') {
    throw new InvalidArgumentError(
      'a command is a non-empty argument array, e.g. ["ping", "-c1", "10.0.0.2"]',
    );
  }
}

function nsArgs(ns: string, argv: readonly string[]): string[] {
  return ns === '' ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

/**
 * Runs argv inside the namespace `ns` ('' = the caller's) and resolves when it exits.
 * @throws TopologyError when it cannot start, times out, or (with check) exits non-zero.
 */
export async function execIn(
  ns: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  checkArgv(argv);
  const full = nsArgs(ns, argv);
  const child = childProcess().spawn(full[0] ?? '', full.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 60_000);
  try {
    const [code, signal] = (await Promise.race([
      once(child, 'close'),
      once(child, 'error').then(([e]) => Promise.reject(e as Error)),
    ])) as [number | null, NodeJS.Signals | null];
    const result: ExecResult = { code, signal, stdout, stderr, argv: [...argv] };
    if (timedOut)
      throw new TopologyError(`${argv.join(' ')} timed out after ${opts.timeoutMs ?? 60_000} ms`, ns);
    if (opts.check && code !== 0) {
      throw new TopologyError(
        `${argv.join(' ')} exited with ${code ?? signal}: ${stderr.trim().slice(0, 500)}`,
        ns,
      );
    }
    return result;
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    throw new TopologyError(`cannot run ${argv[0]}: ${(e as Error).message}`, ns, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** Options of a long-running process. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * What happens to stdout/stderr: `pipe` (default; read `stdout`/`stderr`, or the process
   * blocks once a pipe fills), `ignore`, or `inherit` (this process's own).
   */
  output?: 'pipe' | 'ignore' | 'inherit';
}

/**
 * A long-running process inside a namespace. Its output streams are readable; stop() ends it
 * (SIGTERM, then SIGKILL after a grace period). The Network that spawned it stops it on destroy.
 */
export class HostProcess implements AsyncDisposable {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(
    readonly ns: string,
    readonly argv: readonly string[],
    opts: SpawnOptions = {},
  ) {
    checkArgv(argv);
    const full = nsArgs(ns, argv);
    const out = opts.output ?? 'pipe';
    this.child = childProcess().spawn(full[0] ?? '', full.slice(1), {
      stdio: ['ignore', out, out],
      env: { ...process.env, ...opts.env },
      // its own process group, so stop() ends what it started too (a `sh -c` loop's sleep or
      // curl would outlive the shell, and the namespace, by up to its own run time)
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.done = true;
        resolve(code);
      });
      this.child.once('error', () => {
        this.done = true;
        resolve(null);
      });
    });
  }

  /** The output stream (null unless output is `pipe`). */
  get stdout(): Readable | null {
    return this.child.stdout;
  }
  /** The error stream (null unless output is `pipe`). */
  get stderr(): Readable | null {
    return this.child.stderr;
  }
  /** The pid of `ip netns exec` (which execs into the command, so it is the command's pid). */
  get pid(): number | undefined {
    return this.child.pid;
  }
  get running(): boolean {
    return !this.done;
  }

  /** `await using p = net.spawn(...)`: stops the process at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Sends `signal` to the process and to everything it started (its process group). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  }

  /** Whether any process of its group is still there. */
  private groupAlive(): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends the process and what it started: SIGTERM to its process group, then SIGKILL to the
   * group after graceMs (for the process and for any of its children still there).
   * Idempotent.
   */
  async stop(graceMs = 2000): Promise<void> {
    const deadline = Date.now() + graceMs;
    if (!this.done) {
      this.signal('SIGTERM');
      const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.signal('SIGKILL');
  }
}

/**
 * Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs.
 * @throws TopologyError describing what was awaited.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new TopologyError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
