import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = 'dist/src/cli/main.js';
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-cli-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const run = (args: string[]) =>
  spawnSync('node', [cli, ...args], { encoding: 'utf8', env: { ...process.env, TSBCC_CACHE_DIR: cache } });

describe.skipIf(!existsSync(cli))('tsbcc compile / check', () => {
  it('check --json loads named functions and reports each', () => {
    const r = run([
      'check',
      'test/corpus/networking/neighbor_sharing.c',
      '--load',
      'classify_wan=SCHED_CLS',
      '--load',
      'pass=sched_cls',
      '--json',
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { name: 'classify_wan', type: 'SCHED_CLS', loaded: true, error: null },
      { name: 'pass', type: 'SCHED_CLS', loaded: true, error: null },
    ]);
  });

  it('check without --load loads the functions whose names imply a type', () => {
    const r = run(['check', 'test/corpus/tracing/tp_switch.c']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok    tracepoint__sched__sched_switch (TRACEPOINT)\n');
  });

  it('check exits 1 when the verifier rejects a function, with its error', () => {
    // any function loads as any type, but packet access (LD_ABS) is refused in XDP programs
    const r = run(['check', 'test/corpus/networking/simple_tc.c', '--load', 'hello=XDP', '--json']);
    const out = JSON.parse(r.stdout.trim()) as { loaded: boolean };
    expect(out.loaded).toBe(true);
    const bad = run([
      'check',
      'test/corpus/networking/neighbor_sharing.c',
      '--load',
      'classify_wan=XDP',
      '--json',
    ]);
    expect(bad.status).toBe(1);
    const v = JSON.parse(bad.stdout.trim()) as { loaded: boolean; error: string };
    expect(v.loaded).toBe(false);
    expect(v.error).toMatch(/verifier rejected program "classify_wan"/);
  });

  it('compile --emit c prints the rewritten program; a misuse fails with file:line:col and a caret', () => {
    const r = run(['compile', 'test/corpus/golden/packet_access.c', '--emit', 'c']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(readFileSync('test/corpus/golden/packet_access.expected', 'utf8'))).toBe(true);
    const e = run(['compile', 'test/corpus/errors/map_in_macro.c']);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain(
      'test/corpus/errors/map_in_macro.c:6:32: error: cannot use map function inside a macro',
    );
    expect(e.stderr).toContain(`\n${' '.repeat(31)}^`);
  });

  it('rejects an unknown program type by name', () => {
    const r = run(['check', 'test/corpus/networking/simple_tc.c', '--load', 'hello=NOPE']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown program type "NOPE"');
  });

  it.skipIf(!existsSync('/usr/bin/python3.11'))('check --usdt enables a USDT probe of a binary', () => {
    const r = run([
      'check',
      'test/corpus/usdt/python_calls.c',
      '--usdt',
      '/usr/bin/python3.11@python:function__entry=on_call',
      '--load',
      'on_call=KPROBE',
    ]);
    expect(r.stdout).toBe('ok    on_call (KPROBE)\n');
    expect(r.status).toBe(0);
  });
});
