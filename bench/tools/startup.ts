/**
 * bench/tools: start-up of `tsbcc tool <name>` against BCC's tool of the same name (Debian's
 * bpfcc-tools, /usr/sbin/<name>-bpfcc, BCC 0.26), side by side in one run: the time from
 * spawning the command to the first line it prints, median of N runs (tsbcc on a warm compiler
 * cache: one unmeasured run first; BCC has no cache). Each run is then stopped with SIGINT.
 * A BCC tool that cannot run on this kernel (kprobes or fentry missing) is reported with the
 * first line of its error.
 *
 * Usage: node dist/bench/tools/startup.js [--runs 5] [--tools opensnoop,hardirqs]
 * Peers: bash bench/tools/deps.sh (bpfcc-tools, python3-bpfcc, linux-headers-amd64).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/** How one start went: ms to the first stdout line, or why there was none. */
type Start = { ms: number } | { error: string };

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
      if (out.includes('\n')) finish({ ms: performance.now() - t0 });
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

async function main(): Promise<void> {
  const runs = Number(arg('runs', '5'));
  const only = arg('tools', '');
  const cases = only ? CASES.filter((c) => only.split(',').includes(c.tool)) : CASES;
  const undo = bccHeaders();
  const rows: string[] = [];
  try {
    for (const c of cases) {
      const ts = ['node', [cli, 'tool', c.tool, ...c.args]] as const;
      const bccPath = `/usr/sbin/${c.tool}-bpfcc`;
      const bcc = existsSync(bccPath) ? ([bccPath, c.args] as const) : undefined;
      await firstLine(...ts); // warm the compiler cache
      await settle();
      const tsTimes: number[] = [];
      const bccTimes: number[] = [];
      let tsError = '';
      let bccError = bcc ? '' : 'not in bpfcc-tools';
      for (let i = 0; i < runs; i++) {
        const a = await firstLine(...ts);
        await settle();
        if ('ms' in a) tsTimes.push(a.ms);
        else tsError = a.error;
        if (bcc && !bccError) {
          const b = await firstLine(bcc[0], [...bcc[1]]);
          await settle();
          if ('ms' in b) bccTimes.push(b.ms);
          else bccError = b.error;
        }
      }
      const t = tsTimes.length ? median(tsTimes) : NaN;
      const b = bccTimes.length ? median(bccTimes) : NaN;
      const name = [c.tool, ...c.args].join(' ');
      const tsCell = tsTimes.length ? `${ms(t)} (min ${ms(Math.min(...tsTimes))})` : `fails: ${tsError}`;
      const bccCell = bccTimes.length ? ms(b) : `cannot run here: ${bccError}`;
      const ratio = tsTimes.length && bccTimes.length ? `tsbcc ${(b / t).toFixed(1)}x faster` : '-';
      const target = tsTimes.length ? (t <= 500 ? 'yes' : 'no') : '-';
      const row = `| ${name} | ${tsCell} | ${bccCell} | ${ratio} | ${target} |`;
      rows.push(row);
      console.error(row);
    }
  } finally {
    undo();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\nfirst line of output, median of ${runs} runs (load average at the end: ${load})\n`);
  console.log('| tool | tsbcc | BCC 0.26 | ratio | <= 0.5 s |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

await main();
