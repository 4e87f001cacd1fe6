/**
 * bench/tools: start-up of `tsbcc tool <name>` against BCC's tool of the same name (Debian's
 * bpfcc-tools, /usr/sbin/<name>-bpfcc, BCC 0.26), side by side in one run: the time from
 * spawning the command to the first line it prints, median of N runs alternating the two, after
 * one unmeasured run of each (tsbcc's fills its compiler cache; BCC has no cache, its run warms
 * the page cache alike). Each run is then stopped with SIGINT.
 * Beside the wall time, the CPU time the process had used when its first line arrived (user +
 * system, all threads, from /proc/PID/stat): on a loaded machine the wall time mostly measures
 * the wait for a core, the CPU time does not. `node -e` printing one line is measured the same
 * way, as the floor any Node.js command starts from. A BCC tool that cannot run on this kernel
 * (kprobes or fentry missing) is reported with the first line of its error.
 *
 * Usage: node dist/bench/tools/startup.js [--runs 5] [--tools opensnoop,hardirqs]
 * Peers: bash bench/tools/deps.sh (bpfcc-tools, python3-bpfcc, linux-headers-amd64).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { bccHeaders, median, ms } from '../peer-env.js';

interface Case {
  tool: string;
  args: string[];
}

const CASES: Case[] = [
  { tool: 'biolatency', args: [] },
  { tool: 'biosnoop', args: [] },
  { tool: 'funccount', args: ['t:sched:sched_process_fork'] },
  { tool: 'funccount', args: ['c:malloc'] },
  { tool: 'funclatency', args: ['c:malloc'] },
  { tool: 'hardirqs', args: [] },
  { tool: 'killsnoop', args: [] },
  { tool: 'offcputime', args: [] },
  { tool: 'opensnoop', args: [] },
  { tool: 'pidpersec', args: [] },
  { tool: 'softirqs', args: [] },
  { tool: 'stackcount', args: ['t:sched:sched_process_fork'] },
  { tool: 'stacksnoop', args: ['t:sched:sched_process_fork'] },
  { tool: 'syncsnoop', args: [] },
  { tool: 'tcpaccept', args: [] },
  { tool: 'tcpconnect', args: [] },
  { tool: 'vfscount', args: [] },
  { tool: 'vfsstat', args: [] },
  { tool: 'wakeuptime', args: [] },
];

const root = join(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** How one start went: wall and CPU ms to the first stdout line, or why there was none. */
type Start = { ms: number; cpuMs: number } | { error: string };

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** User + system CPU ms of a live process and its threads, or NaN when it is gone. */
function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 (utime, stime)
  } catch {
    return NaN;
  }
}

function firstLine(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Start> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    let done = false;
    const finish = (r: Start): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    };
    const timer = setTimeout(() => finish({ error: `no output in ${timeoutMs / 1000} s` }), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) finish({ ms: performance.now() - t0, cpuMs: cpuMs(child.pid) });
    });
    child.stderr.on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      const why =
        err.split('\n').find((l) => /error|Error|cannot|Failed|not support|no such/i.test(l)) ??
        err.split('\n')[0];
      finish({ error: `exit ${code}: ${(why ?? '').trim().slice(0, 90)}` });
    });
  });
}

/** Waits until a stopped run has gone, so runs do not overlap. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 300));
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

/** Median wall and CPU ms of `runs` starts, or the last error when none printed a line. */
async function measure(cmd: string, args: readonly string[], runs: number): Promise<Start[]> {
  const out: Start[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await firstLine(cmd, args);
    await settle();
    out.push(r);
    if ('error' in r) break;
  }
  return out;
}

function cells(starts: Start[]): { wall?: number; text: string } {
  const ok = starts.filter((s): s is { ms: number; cpuMs: number } => 'ms' in s);
  const bad = starts.find((s): s is { error: string } => 'error' in s);
  if (!ok.length || bad) return { text: `fails: ${bad?.error ?? 'no runs'}` };
  const wall = median(ok.map((s) => s.ms));
  const cpu = median(ok.map((s) => s.cpuMs));
  return { wall, text: `${ms(wall)} (min ${ms(Math.min(...ok.map((s) => s.ms)))}) / CPU ${ms(cpu)}` };
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '5'));
  const only = arg('tools', '');
  const cases = only ? CASES.filter((c) => only.split(',').includes(c.tool)) : CASES;
  const undo = bccHeaders();
  const rows: string[] = [];
  const emit = (row: string): void => {
    rows.push(row);
    console.error(row);
  };
  try {
    const floor = cells(await measure('node', ['-e', 'console.log(1)'], runs));
    emit(`| (node -e 'console.log(1)': Node.js's own start) | ${floor.text} | - | - | - |`);
    for (const c of cases) {
      const bccPath = `/usr/sbin/${c.tool}-bpfcc`;
      // the same warm-up for both: one unmeasured run each (tsbcc's also fills the compiler cache)
      await firstLine('node', [cli, 'tool', c.tool, ...c.args]);
      await settle();
      if (existsSync(bccPath)) {
        await firstLine(bccPath, c.args);
        await settle();
      }
      // alternate the two so a change of machine load hits both alike
      const tsStarts: Start[] = [];
      const bccStarts: Start[] = [];
      for (let i = 0; i < runs; i++) {
        tsStarts.push(...(await measure('node', [cli, 'tool', c.tool, ...c.args], 1)));
        if (existsSync(bccPath) && !bccStarts.some((s) => 'error' in s))
          bccStarts.push(...(await measure(bccPath, c.args, 1)));
      }
      const t = cells(tsStarts);
      const b = existsSync(bccPath) ? cells(bccStarts) : { text: 'not in bpfcc-tools' };
      const bText = b.wall === undefined ? b.text.replace(/^fails:/, 'cannot run here:') : b.text;
      const ratio =
        t.wall !== undefined && b.wall !== undefined ? `tsbcc ${(b.wall / t.wall).toFixed(1)}x faster` : '-';
      const target = t.wall === undefined ? '-' : t.wall <= 500 ? 'yes' : 'no';
      emit(`| ${[c.tool, ...c.args].join(' ')} | ${t.text} | ${bText} | ${ratio} | ${target} |`);
    }
  } finally {
    undo();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `\nfirst line of output: wall median (min) / CPU time used by then, median; ${runs} runs each` +
      ` (${new Date().toISOString()}, load average at the end: ${load}, ${cpus().length} CPUs)\n`,
  );
  console.log('| tool | tsbcc (warm cache) | BCC 0.26 | ratio (wall) | wall <= 0.5 s |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

await main();
