import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package as npm installs it: `npm pack`, unpacked into node_modules/tsbcc of a scratch
// directory, its addon where its install script builds it, its dependencies beside it, and
// the `tsbcc` bin linked the way npm links it. Then run from / through that link.
const repo = resolve('.');
let scratch = '';
let bin = '';

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'tsbcc-installed-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], {
    cwd: repo,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop() as string;
  const nm = join(scratch, 'node_modules');
  const pkg = join(nm, 'tsbcc');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', pkg, '--strip-components=1']);
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  copyFileSync(join(repo, 'build', 'Release', 'tsbcc.node'), join(pkg, 'build', 'Release', 'tsbcc.node'));
  const deps = Object.keys(
    (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies,
  );
  for (const d of deps) symlinkSync(join(repo, 'node_modules', d), join(nm, d));
  mkdirSync(join(nm, '.bin'));
  bin = join(nm, '.bin', 'tsbcc');
  symlinkSync('../tsbcc/dist/src/cli/main.js', bin);
  chmodSync(join(pkg, 'dist', 'src', 'cli', 'main.js'), 0o755); // as npm does for bins
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('tsbcc example from an installed package, reached through the bin symlink, from /', () => {
  it('lists the examples', () => {
    const out = execFileSync(bin, ['example', '--list'], { cwd: '/', encoding: 'utf8' });
    expect(out).toMatch(/^networking:\n {2}simple_tc {2}/);
  });

  it('runs one in --duration mode with its own files (exit 0), and rejects a bad option (exit 1)', () => {
    const r = spawnSync(bin, ['example', 'simple_tc', '--duration', '1'], { cwd: '/', encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('simple_tc: the behaviour held');
    const bad = spawnSync(bin, ['example', 'simple_tc', '--duration', '0'], { cwd: '/', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--duration takes a number from 1 to 3600, not "0"');
  });
});

describe('tsbcc tool from the installed package', () => {
  it('runs from its one-module bundle, which the package ships, and a tool runs to its first interval', () => {
    const pkg = join(scratch, 'node_modules', 'tsbcc');
    // the bundle is current there (an installed package has no dist/.tsbuildinfo)
    expect(readdirSync(join(pkg, 'dist', 'src', 'cli'))).toContain('tool.bundle.mjs');
    expect(readdirSync(join(pkg, 'dist'))).not.toContain('.tsbuildinfo');
    const r = spawnSync(bin, ['tool', 'softirqs', '-C', '1', '1'], { cwd: '/', encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Tracing soft irq events\.\.\. Hit Ctrl-C to end\.\n/);
    expect(r.stdout).toMatch(/^SOFTIRQ\s+TOTAL_count$/m);
  });
});

describe("import 'tsbcc' from the installed package", () => {
  it('a program beside it gets the bundled entry, compiles BCC-C with it and loads the function', () => {
    // what a user's program does: the package name, resolved through node_modules and the
    // package's "exports" to dist/src/index.bundle.mjs
    const prog = join(scratch, 'user-program.mjs');
    writeFileSync(
      prog,
      [
        "import { readFileSync } from 'node:fs';",
        "import { BpfObject, compile } from 'tsbcc';",
        "const text = readFileSync(process.argv[2], 'utf8') + `\\n// installed ${process.pid}\\n`;",
        "const obj = BpfObject.create(await compile({ text, name: 'installed' }, { noCache: true }));",
        'try {',
        "  const prog = obj.loadFunc('dns_only', 'SOCKET_FILTER');",
        "  console.log(JSON.stringify({ entry: import.meta.resolve('tsbcc'), fd: prog.fd }));",
        '} finally {',
        '  obj.close();',
        '}',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [prog, join(repo, 'test/corpus/socket/socket_filter.c')], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, TSBCC_CACHE_DIR: join(scratch, 'cache') },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { entry: string; fd: number };
    expect(out.entry).toBe(
      `file://${join(scratch, 'node_modules', 'tsbcc', 'dist', 'src', 'index.bundle.mjs')}`,
    );
    expect(out.fd).toBeGreaterThan(2);
  }, 60_000);
});
