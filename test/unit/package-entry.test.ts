/**
 * The package entry, as a user's program gets it: `import ... from 'tsbcc'` resolves through
 * package.json "exports" to dist/src/index.bundle.mjs (scripts/bundle-entry.mjs, built by
 * bootstrap and `npm run build:ts`). It must export what src/index.ts exports (the same names,
 * the same kinds of value, functions and classes under their own names), and importing it
 * must start nothing: no thread, no file descriptor, no handle or timer, no child process, no
 * native addon, no file written. Checked in a fresh Node process importing the built entry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'dist', 'src', 'index.bundle.mjs');

/** What the child reports: state around the import, and every export's kind and name. */
interface Report {
  resolved: string;
  exports: [string, string, string | null, string | null][];
  before: { fds: string[]; tasks: number; resources: string[] };
  after: { fds: string[]; tasks: number; resources: string[] };
  addonMapped: boolean;
  children: string;
}

// Runs in the child (cwd: the package root, so 'tsbcc' is the package's self-reference, as for a
// program inside an installed package's dependents). The thread pool is started first (an fs
// read), so threads that exist for Node's own reasons are in both counts.
const child = `
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
await readFile('/proc/self/stat');
const fds = () => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync('/proc/self/fd/' + fd); } catch { return '?'; } }).filter((l) => !l.startsWith('/proc/'));
const state = () => ({ fds: fds(), tasks: readdirSync('/proc/self/task').length, resources: process.getActiveResourcesInfo() });
const before = state();
const m = await import('tsbcc');
const after = state();
const json = (v) => { try { return JSON.stringify(v) ?? null; } catch { return null; } };
const exports = Object.keys(m).sort().map((k) => [k, typeof m[k], typeof m[k] === 'function' ? m[k].name : null, typeof m[k] === 'function' ? null : json(m[k])]);
const tasks = readdirSync('/proc/self/task');
const children = tasks.map((t) => readFileSync('/proc/self/task/' + t + '/children', 'utf8')).join('').trim();
console.log(JSON.stringify({ resolved: import.meta.resolve('tsbcc'), exports, before, after, addonMapped: readFileSync('/proc/self/maps', 'utf8').includes('tsbcc.node'), children }));
`;

const dir = mkdtempSync(join(tmpdir(), 'tsbcc-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function importEntry(): Report {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      TSBCC_CACHE_DIR: join(dir, 'cache'),
      TSBCC_RUN_DIR: join(dir, 'run'),
      TSBCC_LOG: 'debug',
    },
  });
  if (r.status !== 0) throw new Error(`importing 'tsbcc' failed (status ${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Report;
}

describe("the package entry (import 'tsbcc')", () => {
  it('is built, and not older than the last TypeScript emit (npm run bootstrap builds it)', () => {
    expect(existsSync(bundle), `${bundle} is missing: run npm run bootstrap`).toBe(true);
    const emit = join(root, 'dist', '.tsbuildinfo');
    expect(
      statSync(bundle).mtimeMs,
      'the bundle is older than dist/ (run npm run bootstrap)',
    ).toBeGreaterThanOrEqual(statSync(emit).mtimeMs);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: { '.': { types: string; default: string } };
    };
    expect(pkg.exports['.'].default).toBe('./dist/src/index.bundle.mjs');
    expect(existsSync(join(root, pkg.exports['.'].types))).toBe(true);
  });

  it('exports the names of src/index.ts, the same kinds of value under the same names', async () => {
    const report = importEntry();
    expect(fileURLToPath(report.resolved)).toBe(bundle);
    const src = (await import('../../src/index.js')) as Record<string, unknown>;
    const expected = Object.keys(src)
      .sort()
      .map((k) => {
        const v = src[k];
        let json: string | null = null;
        if (typeof v !== 'function') {
          try {
            json = JSON.stringify(v) ?? null;
          } catch {
            json = null;
          }
        }
        return [k, typeof v, typeof v === 'function' ? v.name : null, json];
      });
    expect(report.exports.length).toBeGreaterThan(100);
    expect(report.exports).toEqual(expected);
  });

  it('starts no work when imported: no thread, descriptor, handle, child process, addon or file', () => {
    const report = importEntry();
    expect(report.after.tasks).toBe(report.before.tasks);
    expect(report.after.fds).toEqual(report.before.fds);
    expect(report.after.resources).toEqual(report.before.resources);
    expect(report.children).toBe('');
    expect(report.addonMapped).toBe(false);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});
