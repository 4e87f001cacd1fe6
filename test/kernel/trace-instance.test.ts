/**
 * bpf_trace_printk readers on private tracefs instances: two BPF objects read at the same time
 * (while the top-level trace_pipe is held by another reader), each gets every line; lines
 * printed before the first read are kept; instances go on close, on Ctrl-C, and (after SIGKILL)
 * through reapTraceInstances.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BPF, parseTraceLine, TracePipe } from '../../src/index.js';
import { reapTraceInstances } from '../../src/events/trace-instance.js';
import { tracefsRoot } from '../../src/tracing/tracefs.js';
import { requireFeatures } from './helpers/require-features.js';
import { waitFor } from './helpers/wait.js';

const RUN = randomBytes(3).toString('hex');
/** Pids that do not exist: getpriority(PRIO_PROCESS, who) enters the syscall and fails with ESRCH. */
const WHO = [4000001, 4000002, 4000003, 4000004, 4000005];

function prog(tag: string): string {
  return `TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  if ((bpf_get_current_pid_tgid() >> 32) != ${process.pid}) return 0;
  bpf_trace_printk("tsbcc-ti-${RUN}-${tag} who=%d\\n", (int)args->who);
  return 0;
}`;
}

function callGetpriority(): void {
  for (const who of WHO) {
    try {
      getPriority(who);
    } catch {
      // ESRCH: the tracepoint has fired
    }
  }
}

function root(): string {
  const r = tracefsRoot();
  if (!r) throw new Error('tracefs is not mounted');
  return r;
}

/** This process's instances. */
function ours(): string[] {
  return readdirSync(join(root(), 'instances')).filter((n) => n.startsWith(`tsbcc-${process.pid}-`));
}

const opened: BPF[] = [];
afterEach(() => {
  for (const b of opened.splice(0)) b.close();
});

describe('trace readers on private tracefs instances', () => {
  it('two BPF objects read at once, each gets every line, none left after close', async (ctx) => {
    await requireFeatures(ctx, 'tracepoints');
    // another reader holds the top-level trace_pipe (as a BCC program would): ours must not care
    let held: number | undefined;
    try {
      held = openSync(join(root(), 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      // EBUSY: someone else on this machine holds it already, which is the same case
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    }
    try {
      const a = await BPF.create({ text: prog('A'), name: 'ti_a' });
      opened.push(a);
      const b = await BPF.create({ text: prog('B'), name: 'ti_b' });
      opened.push(b);
      const pa = await a.tracePipe();
      const pb = await b.tracePipe();
      expect(pa.instanceDir).toBeDefined();
      expect(pb.instanceDir).toBeDefined();
      expect(pa.instanceDir).not.toBe(pb.instanceDir);
      expect(ours()).toHaveLength(2);
      const got: Record<'A' | 'B', string[]> = { A: [], B: [] };
      const keep = (to: string[]) => (l: string) => {
        const f = parseTraceLine(l);
        if (f?.msg.startsWith(`tsbcc-ti-${RUN}-`)) {
          expect(f.pid).toBe(process.pid);
          to.push(f.msg.slice(`tsbcc-ti-${RUN}-`.length));
        }
      };
      const stopA = pa.onLine(keep(got.A));
      const stopB = pb.onLine(keep(got.B));
      callGetpriority();
      const want = WHO.flatMap((w) => [`A who=${w}`, `B who=${w}`]).sort();
      await waitFor(() => got.A.length >= 10 && got.B.length >= 10, 'ten lines in each reader', 10_000);
      stopA();
      stopB();
      // each reader has its own program's five lines and, as trace_pipe would show them, the other's
      expect([...got.A].sort()).toEqual(want);
      expect([...got.B].sort()).toEqual(want);
      expect(got.A.filter((l) => l.startsWith('A'))).toEqual(WHO.map((w) => `A who=${w}`));
      expect(got.B.filter((l) => l.startsWith('B'))).toEqual(WHO.map((w) => `B who=${w}`));
      const dirs = [pa.instanceDir, pb.instanceDir];
      a.close();
      b.close();
      for (const d of dirs) expect(existsSync(d!)).toBe(false);
      expect(ours()).toEqual([]);
    } finally {
      if (held !== undefined) closeSync(held);
    }
  });

  it('lines printed after attach and before the first read are shown (BCC trace_pipe semantics)', async (ctx) => {
    await requireFeatures(ctx, 'tracepoints');
    const a = await BPF.create({ text: prog('C'), name: 'ti_c' });
    opened.push(a);
    callGetpriority();
    const ac = new AbortController();
    const msgs: string[] = [];
    const t = setTimeout(() => ac.abort(), 10_000);
    for await (const f of a.traceFields({ signal: ac.signal })) {
      if (f.msg.startsWith(`tsbcc-ti-${RUN}-C`)) msgs.push(f.msg.slice(`tsbcc-ti-${RUN}-`.length));
      if (msgs.length === WHO.length) ac.abort();
    }
    clearTimeout(t);
    expect(msgs).toEqual(WHO.map((w) => `C who=${w}`));
  });

  it('a reader given { shared: true } reads the top-level trace_pipe', async () => {
    let p: TracePipe | undefined;
    try {
      p = await TracePipe.open({ shared: true });
    } catch (e) {
      // someone else holds it: that is the exclusive top-level pipe this option asks for
      expect((e as { code?: string }).code).toBe('EBUSY');
      return;
    }
    expect(p.instanceDir).toBeUndefined();
    expect(p.path).toBe(join(root(), 'trace_pipe'));
    p.close();
  });

  /** Starts the child, returns it with the instance directory it printed. */
  async function child(): Promise<{ p: ReturnType<typeof spawn>; dir: string; exited: Promise<unknown> }> {
    const repo = join(import.meta.dirname, '..', '..');
    // node on the built module, not vite-node: that took over 60 s to start under the 6.1
    // guest's emulation
    const p = spawn(process.execPath, [join(import.meta.dirname, 'helpers', 'trace-instance-child.mjs')], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => p.on('exit', (code, sig) => r(sig ?? code)));
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(
        () => out.includes('\n') || p.exitCode !== null,
        'the child to print its instance',
        60_000,
      );
    } catch (e) {
      p.kill('SIGKILL');
      throw e;
    }
    const dir = (JSON.parse(out.split('\n')[0] || '{}') as { dir?: string }).dir;
    if (!dir) {
      p.kill('SIGKILL');
      throw new Error(`child printed no instance: ${out} ${err}`);
    }
    return { p, dir, exited };
  }

  it('Ctrl-C removes the instance; after SIGKILL the reaper removes it', async (ctx) => {
    await requireFeatures(ctx, 'tracepoints');
    const c1 = await child();
    expect(existsSync(c1.dir)).toBe(true);
    c1.p.kill('SIGINT');
    await c1.exited;
    expect(existsSync(c1.dir)).toBe(false);

    const c2 = await child();
    expect(existsSync(c2.dir)).toBe(true);
    // a live owner's instance is kept
    expect(reapTraceInstances(root())).not.toContain(c2.dir.split('/').pop());
    expect(existsSync(c2.dir)).toBe(true);
    c2.p.kill('SIGKILL');
    await c2.exited;
    expect(existsSync(c2.dir)).toBe(true);
    expect(reapTraceInstances(root())).toContain(c2.dir.split('/').pop());
    expect(existsSync(c2.dir)).toBe(false);
  });
});
