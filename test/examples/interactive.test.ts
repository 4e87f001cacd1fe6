/**
 * Interactive mode of the networking examples, as a user meets it: `tsbcc example NAME` with no
 * --duration keeps its testbed up and prints commands to try from another shell; the test runs
 * printed commands exactly as printed (tsbcc topology exec ...), checks what they show, then
 * presses Ctrl-C (SIGINT) and checks the example exits 0 and leaves no namespace and no process
 * of its testbed behind. (tunnel_monitor's interactive mode is driven by its web test.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** A running `tsbcc example NAME` and what it printed. */
class InteractiveExample {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(name: string, args: string[]) {
    this.child = spawn(process.execPath, [cli, 'example', name, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    const take = (d: Buffer): void => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.exited = new Promise((res) => this.child.once('exit', (code) => res(code)));
  }

  /** Waits for a line matching `re`; its match. */
  async line(re: RegExp, timeoutMs = 180_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const l of this.lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no line matching ${re}; output:\n${this.lines.join('\n')}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 500);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /**
   * Waits until the testbed is up and every command is printed; the testbed prefix and the
   * commands to try (each with the note printed above it).
   */
  async commands(): Promise<{ prefix: string; tries: { note: string; command: string }[] }> {
    const prefix = (await this.line(/^testbed (\S+) is up\. From another shell, try:$/))[1] as string;
    await this.line(/^Ctrl-C here stops the example/);
    const start = this.lines.findIndex((l) => l.startsWith(`testbed ${prefix} is up.`));
    const tries: { note: string; command: string }[] = [];
    for (let i = start + 1; this.lines[i]?.startsWith('  # '); i += 2)
      tries.push({ note: (this.lines[i] as string).slice(4), command: (this.lines[i + 1] ?? '').trim() });
    return { prefix, tries };
  }

  /** Ctrl-C; the exit code. */
  async interrupt(timeoutMs = 120_000): Promise<number | null> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

const running: InteractiveExample[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) await r.interrupt(60_000);
});

/** Runs a printed command as the user would paste it (`tsbcc` being this checkout's CLI). */
function paste(command: string, timeoutMs = 60_000): { code: number | null; out: string } {
  expect(command).toMatch(/^(tsbcc topology exec -t \S+ \S+ -- |ip netns exec \S+ )/);
  const r = spawnSync('sh', ['-c', command.replace(/^tsbcc /, `${process.execPath} ${cli} `)], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The testbed's namespaces (by prefix) and the processes in them. */
function testbed(prefix: string): { namespaces: string[]; pids: number[] } {
  const namespaces = readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}-`));
  const pids = namespaces.flatMap((ns) =>
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number),
  );
  return { namespaces, pids };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts example `name` interactively, lets `use` run its printed commands, presses Ctrl-C,
 * and checks the exit: code 0, the stop message, no namespace of the testbed, none of the
 * processes that ran in it. Returns the example's whole output.
 */
async function session(
  name: string,
  args: string[],
  use: (tries: { note: string; command: string }[], ex: InteractiveExample) => Promise<void>,
): Promise<string[]> {
  const ex = new InteractiveExample(name, args);
  running.push(ex);
  const { prefix, tries } = await ex.commands();
  expect(tries.length).toBeGreaterThan(0);
  const before = testbed(prefix);
  expect(before.namespaces.length).toBeGreaterThan(0);
  await use(tries, ex);
  expect(await ex.interrupt()).toBe(0);
  expect(ex.lines).toContain('SIGINT: stopping; removing the testbed');
  expect(testbed(prefix).namespaces).toEqual([]);
  expect(before.pids.filter(alive)).toEqual([]);
  return ex.lines;
}

describe('networking examples, interactive mode (printed commands, then Ctrl-C)', () => {
  it('simple_tc: the printed ping goes through hello on both hooks', async () => {
    const out = await session('simple_tc', [], async (tries) => {
      const ping = tries.find((t) => / -- ping /.test(t.command));
      const r = paste(ping?.command ?? '-');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/5 packets transmitted, 5 received/);
    });
    // the checks printed on Ctrl-C count what hello saw against the interface's counters
    expect(out.some((l) => /^ok\s+hello ran on every ingress packet of \S+: hello [1-9]/.test(l))).toBe(true);
    expect(out.some((l) => /^ok\s+hello ran on every egress packet of \S+: hello [1-9]/.test(l))).toBe(true);
  });

  it('vlan_learning: each printed curl reaches its own worker, though all share one address', async () => {
    await session('vlan_learning', [], async (tries) => {
      const curls = tries.filter((t) => / -- curl /.test(t.command));
      expect(curls.length).toBeGreaterThan(1);
      for (const t of curls) {
        const client = /-t \S+ client(\d+) --/.exec(t.command)?.[1];
        const r = paste(t.command);
        expect(r.code, r.out).toBe(0);
        expect(r.out.trim()).toBe(`worker${client}`);
      }
    });
  });

  it('distributed_bridge: the printed ping crosses the tunnel; the fdb shows what was learned', async () => {
    await session('distributed_bridge', [], async (tries) => {
      const ping = tries.find((t) => / -- ping /.test(t.command));
      const r = paste(ping?.command ?? '-');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/3 packets transmitted, 3 received/);
      const fdb = tries.find((t) => / -- bridge fdb show /.test(t.command));
      const f = paste(fdb?.command ?? '-');
      expect(f.code, f.out).toBe(0);
      expect(f.out).toMatch(/^[0-9a-f:]{17} dev \S+/m);
    });
  });

  it("neighbor_sharing: the printed iperf3 to a neighbour is held to the neighbours' rate", async () => {
    await session('neighbor_sharing', [], async (tries) => {
      const t = tries.find((x) => /neighbour/.test(x.note) && / -- iperf3 -c \S+ -t 5$/.test(x.command));
      const r = paste(t?.command ?? '-');
      expect(r.code, r.out).toBe(0);
      // receiver's rate over the 5 s, within 15% of the limit (128 kbit/s) as the --duration test
      const [, n, unit] = /([\d.]+) ([KM])bits\/sec\s+receiver/.exec(r.out) ?? [];
      const kbps = Number(n) * (unit === 'M' ? 1000 : 1);
      console.log(`neighbor_sharing interactive: iperf3 receiver ${kbps} kbit/s (limit 128)`);
      expect(kbps, r.out).toBeGreaterThan(128 * 0.85);
      expect(kbps, r.out).toBeLessThan(128 * 1.15);
    });
  });
});
