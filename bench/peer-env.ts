/**
 * Bench helpers shared by bench/maps and bench/events: BCC's kernel-header symlinks (for the
 * BCC peer only; removed again when we made them), gcc builds of the libbpf C references, and
 * running peers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The source directory of a bench module, from its `import.meta.url`: the same directory under
 * vite-node, and `bench/<area>` instead of `dist/bench/<area>` when run as `node dist/bench/...`
 * (tsc emits only the .ts files; the peers' C and Python files stay in bench/).
 */
export function benchSourceDir(moduleUrl: string): string {
  const dir = dirname(fileURLToPath(moduleUrl));
  return dir.replace(`${sep}dist${sep}bench`, `${sep}bench`);
}

/** Makes /lib/modules/$(uname -r)/{build,source} point at Debian's linux-headers for BCC; returns an undo. */
export function bccHeaders(): () => void {
  const rel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const dir = `/lib/modules/${rel}`;
  const made: string[] = [];
  const src = readdirSync('/usr/src');
  const amd64 = src.find((d) => /^linux-headers-.*-amd64$/.test(d));
  const common = src.find((d) => /^linux-headers-.*-common$/.test(d));
  if (!amd64 || !common) throw new Error('BCC peer needs linux-headers-amd64 (bash bench/deps.sh)');
  const madeDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of [
    ['build', amd64],
    ['source', common],
  ] as const) {
    const p = join(dir, name);
    if (existsSync(p) || isLink(p)) continue;
    symlinkSync(`/usr/src/${target}`, p);
    made.push(p);
  }
  return () => {
    for (const p of made) rmSync(p, { force: true });
    if (madeDir) rmdirSync(dir);
  };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Compiles a C reference program with gcc -O2 against libbpf; returns the binary path. */
export function gccBuild(source: string, out: string): string {
  execFileSync('gcc', ['-O2', '-o', out, source, '-lbpf'], { stdio: 'inherit' });
  return out;
}

/** Runs a command and parses the last line of its stdout as JSON. */
export function runJson<T>(cmd: string, args: string[], env: Record<string, string> = {}): T {
  const out = execFileSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 26,
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as T;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Formats milliseconds. */
export function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
}
