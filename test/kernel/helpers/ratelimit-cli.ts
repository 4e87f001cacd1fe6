/** `tsbcc ratelimit` run as a command in tests, and what it must leave behind (or not). */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nsExec } from './netns.js';

/** One run of the command. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  pid?: number;
}

/** Runs `tsbcc ratelimit ARGS` and waits for it. */
export function ratelimitCli(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync('node', ['dist/src/cli/main.js', 'ratelimit', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** Starts `tsbcc ratelimit ARGS`; the promise ends with the process. */
export function ratelimitCliAsync(
  args: string[],
  env: Record<string, string> = {},
): { pid: number; done: Promise<CliRun> } {
  const child = spawn('node', ['dist/src/cli/main.js', 'ratelimit', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err, pid: child.pid ?? 0 })),
  );
  return { pid: child.pid ?? 0, done };
}

/** Everything tc and ip say about a namespace's interfaces (what rm must give back). */
export function interfaceState(ns: string): string {
  const links = nsExec(ns, ['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter(Boolean);
  const parts = [`links: ${links.join(' ')}`, nsExec(ns, ['tc', 'qdisc', 'show'])];
  for (const dev of links) {
    parts.push(nsExec(ns, ['tc', 'class', 'show', 'dev', dev]));
    for (const hook of ['ingress', 'egress']) {
      parts.push(nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, hook]));
    }
  }
  return parts.join('\n');
}

/** The record file of a namespace (under `runDir`, default $TSBCC_RUN_DIR or /run/tsbcc). */
export const recordFile = (ns: string, runDir?: string): string =>
  join(runDir ?? (process.env.TSBCC_RUN_DIR || '/run/tsbcc'), 'ratelimit', `${ns}.json`);

/** Where a namespace's maps are pinned. */
export const pinDir = (ns: string): string => `/sys/fs/bpf/tsbcc/ratelimit/${ns}`;
