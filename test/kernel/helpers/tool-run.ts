/**
 * Runs `tsbcc tool ...` (the built CLI) as a child process for the tools' tests: waits for
 * output lines, interrupts it as Ctrl-C does, and lists the BPF objects the child held so a
 * test can check they are gone after it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** The BPF objects a process holds, by the ids its fds' fdinfo names. */
export interface HeldObjects {
  progs: number[];
  maps: number[];
  links: number[];
}

/** A running tool. */
export class ToolRun {
  readonly lines: string[] = [];
  stderr = '';
  private partial = '';
  private exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      this.partial += d;
      const parts = this.partial.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake();
    });
    child.stderr?.on('data', (d: string) => {
      this.stderr += d;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, sig) => {
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        this.wake();
        resolve(code ?? (sig ? 128 : null));
      }),
    );
  }

  /** Starts `tsbcc tool ARGS...`. */
  static start(args: string[]): ToolRun {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run scripts/bootstrap.sh (it builds dist/)`);
    return new ToolRun(spawn('node', [cli, 'tool', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Runs `tsbcc tool ARGS...` to the end; its exit code and output. */
  static async complete(
    args: string[],
    timeoutMs = 60_000,
  ): Promise<{ code: number | null; out: string; err: string }> {
    const r = ToolRun.start(args);
    const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
    const code = await r.exited;
    clearTimeout(timer);
    return { code, out: r.lines.join('\n'), err: r.stderr };
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Waits until some output line (from index `from` on) matches; returns it. The default
   * timeout allows a first compile under emulation (the VM lane, an empty compiler cache).
   */
  async line(re: RegExp, timeoutMs = 120_000, from = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`tool exited (${this.child.exitCode}) before printing ${re}:\n${this.output()}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${this.output()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits until stderr matches (e.g. `--verbose`'s "attached" for tools that print nothing first). */
  async stderrMatch(re: RegExp, timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.stderr)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `tool exited (${this.child.exitCode}) before stderr matched ${re}:\n${this.output()}`,
        );
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} on stderr:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The output so far (for failure messages). */
  output(): string {
    return `stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`;
  }

  /** The BPF programs, maps and links the tool holds now. */
  held(): HeldObjects {
    const out: HeldObjects = { progs: [], maps: [], links: [] };
    const dir = `/proc/${this.pid}/fdinfo`;
    for (const fd of readdirSync(dir)) {
      let info: string;
      try {
        info = readFileSync(join(dir, fd), 'utf8');
      } catch {
        continue;
      }
      for (const [key, list] of [
        ['prog_id', out.progs],
        ['map_id', out.maps],
        ['link_id', out.links],
      ] as const) {
        const m = new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(info);
        if (m?.[1] && !list.includes(Number(m[1]))) list.push(Number(m[1]));
      }
    }
    return out;
  }

  /** Sends SIGINT (Ctrl-C) and waits for the exit code. */
  async interrupt(timeoutMs = 30_000): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.waitExit(timeoutMs);
  }

  /** Waits for the tool to end by itself. */
  async waitExit(timeoutMs = 30_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the tool if still running (test clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Whether BPF objects of these ids still exist (bpftool show id N). */
export function stillLoaded(held: HeldObjects): string[] {
  const left: string[] = [];
  for (const [kind, ids] of [
    ['prog', held.progs],
    ['map', held.maps],
    ['link', held.links],
  ] as const) {
    for (const id of ids) {
      try {
        execFileSync('bpftool', [kind, 'show', 'id', String(id)], { stdio: 'ignore' });
        left.push(`${kind} ${id}`);
      } catch {
        // gone
      }
    }
  }
  return left;
}
