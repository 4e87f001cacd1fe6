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

  it('compile --emit llvm|obj|spec with -o, --cflags and --no-cache', () => {
    const out = (name: string) => join(cache, name);
    const src = 'test/corpus/networking/neighbor_sharing.c';
    const obj = run(['compile', src, '--emit', 'obj', '-o', out('n.o'), '--no-cache']);
    expect(obj.status).toBe(0);
    const elf = readFileSync(out('n.o'));
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(247); // e_machine EM_BPF
    expect(run(['compile', src, '--emit', 'obj']).status).toBe(1); // binary to a terminal/pipe: refused
    const ll = run(['compile', src, '--emit', 'llvm', '--cflags', '-DTSBCC_CLI_TEST=1']);
    expect(ll.status).toBe(0);
    expect(ll.stdout).toMatch(/define dso_local (noundef )?i32 @classify_wan\(/);
    const spec = run(['compile', src, '--emit', 'spec', '-o', out('n.json')]);
    expect(spec.status).toBe(0);
    const j = JSON.parse(readFileSync(out('n.json'), 'utf8')) as {
      programs: { name: string }[];
      maps: unknown[];
    };
    expect(j.programs.map((p) => p.name)).toContain('classify_wan');
    expect(j.maps.length).toBeGreaterThan(0);
    // --no-cache neither reads nor writes: a fresh cache directory stays without objects
    const fresh = mkdtempSync(join(tmpdir(), 'tsbcc-cli-nocache-'));
    try {
      const r = spawnSync('node', [cli, 'compile', src, '--emit', 'spec', '--no-cache'], {
        encoding: 'utf8',
        env: { ...process.env, TSBCC_CACHE_DIR: fresh },
      });
      expect(r.status).toBe(0);
      expect(existsSync(join(fresh, 'objects'))).toBe(false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('check --json reports a file that does not compile as functions not loaded', () => {
    const r = run(['check', 'test/corpus/errors/map_in_macro.c', '--load', 'f=KPROBE', '--json']);
    expect(r.status).toBe(1);
    const v = JSON.parse(r.stdout.trim()) as { name: string; loaded: boolean; error: string };
    expect(v).toMatchObject({ name: 'f', type: 'KPROBE', loaded: false });
    expect(v.error).toContain('map_in_macro.c:6:32: error: cannot use map function inside a macro');
    const none = run(['check', 'test/corpus/errors/map_in_macro.c', '--json']);
    expect(JSON.parse(none.stdout.trim())).toMatchObject({ name: null, type: null, loaded: false });
  });

  it('a closed pipe ends the command quietly', () => {
    const r = spawnSync(
      'sh',
      ['-c', `node ${cli} compile test/corpus/networking/tunnel_monitor.c --emit llvm | head -c 10`],
      {
        encoding: 'utf8',
        env: { ...process.env, TSBCC_CACHE_DIR: cache },
      },
    );
    expect(r.stdout).toHaveLength(10);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
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
