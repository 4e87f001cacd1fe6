/**
 * The tools' test workload (fixtures/tool-target.c): built with gcc into a directory of the
 * test's, started paused (it waits for a line on stdin), told to go, and kept alive until the
 * test ends it so its user stacks still resolve.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const source = join(import.meta.dirname, '..', 'fixtures', 'tool-target.c');

/** Builds the target into `dir`; its path. */
export function buildTarget(dir: string): string {
  const out = join(dir, 'tool-target');
  execFileSync('gcc', ['-O0', '-fno-omit-frame-pointer', '-o', out, source]);
  return out;
}

/** A started, paused target. */
export class Target {
  private readonly child: ChildProcess;
  private out = '';
  private readonly exited: Promise<void>;

  /** Starts `bin mode args...` paused; it works after go(). */
  constructor(bin: string, args: string[]) {
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => (this.out += d));
    this.exited = new Promise((res) => this.child.on('exit', () => res()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Lets it work and waits until it has (it prints `done`); it then waits for end(). */
  async go(timeoutMs = 60_000): Promise<void> {
    this.child.stdin?.write('go\n');
    const until = Date.now() + timeoutMs;
    while (!this.out.includes('done')) {
      if (this.child.exitCode !== null) throw new Error(`target exited ${this.child.exitCode}`);
      if (Date.now() > until) throw new Error('target did not finish its work');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Ends it (closes its stdin) and waits for it to exit. */
  async end(): Promise<void> {
    this.child.stdin?.end();
    await this.exited;
  }

  /** Kills it (clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
