/**
 * bench/topology: build N hosts, each a namespace with a veth whose outer end is a port of one
 * bridge (in a fabric namespace), addressed and up; then tear everything down. Side by side in
 * one run: tsbcc (in-process netlink), pyroute2 in BCC's simulation style, a script of `ip`
 * commands, and `ip -batch`. Every variant is checked (a ping across the bridge) and must leave
 * nothing behind. Run: `npx vite-node bench/topology/bridge-hosts.ts` (or node dist/...).
 * Options: --sizes 20,100 --big 1000 --reps 3
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Network, Topology } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pyScript = join(here.replace(`${join('dist', 'bench')}`, 'bench'), 'pyroute2_bridge.py');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const sizes = opt('sizes', '20,100').split(',').map(Number);
const big = Number(opt('big', '1000'));
const reps = Number(opt('reps', '3'));
const work = mkdtempSync(join(tmpdir(), 'tsbcc-bench-topo-'));

const addr = (i: number): string => `10.99.${(i + 1) >> 8}.${(i + 1) & 255}`;
const nsList = (prefix: string): string[] =>
  readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}-`));

interface Timing {
  up: number;
  down: number;
}

function check(prefix: string, n: number): void {
  const last = n - 1;
  execFileSync('ip', ['netns', 'exec', `${prefix}-h0`, 'ping', '-c1', '-W2', addr(last)], {
    stdio: 'ignore',
  });
}

function leftoverCheck(prefix: string): void {
  const left = nsList(prefix);
  if (left.length > 0) throw new Error(`${prefix}: ${left.length} namespaces left after teardown`);
}

async function tsbcc(prefix: string, n: number): Promise<Timing> {
  const t = new Topology().bridge('br0');
  for (let i = 0; i < n; i++)
    t.host(`h${i}`).link({ host: `h${i}`, addresses: [`${addr(i)}/16`] }, { bridge: 'br0' });
  const t0 = performance.now();
  const net = await Network.up(t, { prefix });
  const t1 = performance.now();
  check(prefix, n);
  const t2 = performance.now();
  await net.destroy();
  return { up: t1 - t0, down: performance.now() - t2 };
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function sh(script: string): void {
  const r = spawnSync('bash', ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
}

function ipScript(prefix: string, n: number): Timing {
  const lines = [`ip netns add ${prefix}-fabric`, `ip -n ${prefix}-fabric link add br0 up type bridge`];
  for (let i = 0; i < n; i++) {
    const ns = `${prefix}-h${i}`;
    lines.push(
      `ip netns add ${ns}`,
      `ip -n ${prefix}-fabric link add h${i}-eth type veth peer name eth0 netns ${ns}`,
      `ip -n ${prefix}-fabric link set h${i}-eth master br0 up`,
      `ip -n ${ns} addr add ${addr(i)}/16 dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} link set lo up`,
    );
  }
  const upFile = join(work, `${prefix}-up.sh`);
  writeFileSync(upFile, `${lines.join('\n')}\n`);
  const downFile = join(work, `${prefix}-down.sh`);
  const del = [...Array(n).keys()].map((i) => `ip netns del ${prefix}-h${i}`);
  writeFileSync(downFile, `${[...del, `ip netns del ${prefix}-fabric`].join('\n')}\n`);
  const up = timeIt(() => sh(upFile));
  check(prefix, n);
  return { up, down: timeIt(() => sh(downFile)) };
}

function ipBatch(prefix: string, n: number): Timing {
  // `ip -batch` has no per-line namespace option: one batch creates the namespaces, one runs in
  // the fabric (bridge, veths with peers placed in the hosts), and one per host configures it.
  const nsFile = join(work, `${prefix}-ns.batch`);
  const fabFile = join(work, `${prefix}-fabric.batch`);
  const hostFile = (i: number): string => join(work, `${prefix}-h${i}.batch`);
  writeFileSync(
    nsFile,
    `${[`netns add ${prefix}-fabric`, ...[...Array(n).keys()].map((i) => `netns add ${prefix}-h${i}`)].join('\n')}\n`,
  );
  const fab = ['link add br0 up type bridge'];
  for (let i = 0; i < n; i++) {
    fab.push(
      `link add h${i}-eth type veth peer name eth0 netns ${prefix}-h${i}`,
      `link set h${i}-eth master br0 up`,
    );
  }
  writeFileSync(fabFile, `${fab.join('\n')}\n`);
  for (let i = 0; i < n; i++) {
    writeFileSync(hostFile(i), `addr add ${addr(i)}/16 dev eth0\nlink set eth0 up\nlink set lo up\n`);
  }
  const script = join(work, `${prefix}-batch.sh`);
  writeFileSync(
    script,
    [
      `ip -batch ${nsFile}`,
      `ip -n ${prefix}-fabric -batch ${fabFile}`,
      ...[...Array(n).keys()].map((i) => `ip -n ${prefix}-h${i} -batch ${hostFile(i)}`),
    ].join('\n') + '\n',
  );
  const delFile = join(work, `${prefix}-del.batch`);
  writeFileSync(
    delFile,
    `${[...[...Array(n).keys()].map((i) => `netns del ${prefix}-h${i}`), `netns del ${prefix}-fabric`].join('\n')}\n`,
  );
  const up = timeIt(() => sh(script));
  check(prefix, n);
  return { up, down: timeIt(() => execFileSync('ip', ['-batch', delFile], { stdio: 'ignore' })) };
}

function pyroute2(prefix: string, n: number): Timing {
  const run = (what: string): number => {
    const r = spawnSync('/usr/bin/python3', [pyScript, what, prefix, String(n)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pyroute2 ${what} failed: ${r.stderr}`);
    return Number(r.stdout.trim());
  };
  const up = run('up');
  check(prefix, n);
  return { up, down: run('down') };
}

const hasPyroute2 =
  spawnSync('/usr/bin/python3', ['-c', 'import pyroute2'], { stdio: 'ignore' }).status === 0;
type Variant = [string, (p: string, n: number) => Timing | Promise<Timing>];
const variants: Variant[] = [['tsbcc', tsbcc]];
if (hasPyroute2) variants.push(['pyroute2 (BCC simulation style)', pyroute2]);
variants.push(['ip script', ipScript], ['ip -batch', ipBatch]);
if (!hasPyroute2) console.log('pyroute2 missing (apt-get install python3-pyroute2): skipped');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rows: string[] = [];
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

try {
  for (const n of [...sizes, big]) {
    const results = new Map<string, Timing[]>();
    const list = n === big && !sizes.includes(big) ? variants.slice(0, 1) : variants;
    for (let r = 0; r < (n === big ? 1 : reps); r++) {
      for (const [name, fn] of list) {
        const prefix = `bt${randomBytes(3).toString('hex')}`;
        try {
          const t = await fn(prefix, n);
          leftoverCheck(prefix);
          (results.get(name) ?? results.set(name, []).get(name))?.push(t);
        } finally {
          for (const ns of nsList(prefix)) execFileSync('ip', ['netns', 'del', ns]);
        }
      }
    }
    const base = results.get('tsbcc') ?? [];
    const baseTotal = median(base.map((t) => t.up + t.down));
    for (const [name, ts] of results) {
      const up = median(ts.map((t) => t.up));
      const down = median(ts.map((t) => t.down));
      const total = median(ts.map((t) => t.up + t.down));
      const ratio = name === 'tsbcc' ? '1.0x' : `tsbcc ${(total / baseTotal).toFixed(1)}x faster`;
      const row = `| ${n} | ${name} | ${fmt(up)} | ${fmt(down)} | ${fmt(total)} | ${ratio} |`;
      rows.push(row);
      console.log(row);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log('\n| N | tool | up | down | total | ratio |\n| --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
console.log(
  `(median of ${reps} runs for N in ${sizes.join(', ')}; N=${big} once; every run checked with a ping h0 -> h${'{N-1}'} and for leftovers)`,
);
