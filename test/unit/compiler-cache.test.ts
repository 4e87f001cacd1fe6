import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cacheDir } from '../../src/compiler/cache-dir.js';
import { compile } from '../../src/compiler/compile.js';
import { CompileError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbcc-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SRC = `BPF_HASH(counts, u32, u64, ${Math.floor(Math.random() * 1000) + 1});
int count(struct __sk_buff *skb) { u32 k = skb->ifindex; counts.increment(k); return 0; }
`;

describe('object cache', () => {
  const saved = { t: process.env.TSBCC_CACHE_DIR, x: process.env.XDG_CACHE_HOME };
  afterEach(() => {
    if (saved.t === undefined) delete process.env.TSBCC_CACHE_DIR;
    else process.env.TSBCC_CACHE_DIR = saved.t;
    if (saved.x === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.x;
  });

  it('a second compile of the same source comes from the cache, identical', async () => {
    const a = await compile(SRC, { cacheDir: dir });
    expect(a.fromCache).toBeUndefined();
    const b = await compile(SRC, { cacheDir: dir });
    expect(b.fromCache).toBe(true);
    expect(b.elf.equals(a.elf)).toBe(true);
    expect(b.maps).toEqual(a.maps);
    expect(b.programs).toEqual(a.programs);
  });

  it('anything that changes the output changes the key: cflags, source', async () => {
    await compile(SRC, { cacheDir: dir });
    const c = await compile(SRC, { cacheDir: dir, cflags: ['-DUNUSED_FLAG=1'] });
    expect(c.fromCache).toBeUndefined();
    const d = await compile(`${SRC}\n`, { cacheDir: dir });
    expect(d.fromCache).toBeUndefined();
  });

  it('headers the program includes change the key, nested ones and -I ones too', async () => {
    const src = mkdtempSync(join(tmpdir(), 'tsbcc-cache-src-'));
    try {
      mkdirSync(join(src, 'inc'));
      writeFileSync(join(src, 'prog.c'), `#include "a.h"\n${SRC}`);
      writeFileSync(join(src, 'a.h'), '#include "b.h"\n#include "c.h"\n');
      writeFileSync(join(src, 'b.h'), '#define LIMIT 1\n');
      writeFileSync(join(src, 'inc', 'c.h'), '#define OTHER 1\n');
      const opts = { cacheDir: dir, cflags: [`-I${join(src, 'inc')}`] };
      await compile({ file: join(src, 'prog.c') }, opts);
      expect((await compile({ file: join(src, 'prog.c') }, opts)).fromCache).toBe(true);
      writeFileSync(join(src, 'b.h'), '#define LIMIT 2\n');
      expect((await compile({ file: join(src, 'prog.c') }, opts)).fromCache).toBeUndefined();
      writeFileSync(join(src, 'inc', 'c.h'), '#define OTHER 2\n');
      expect((await compile({ file: join(src, 'prog.c') }, opts)).fromCache).toBeUndefined();
      expect((await compile({ file: join(src, 'prog.c') }, opts)).fromCache).toBe(true);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('the USDT probes enabled change the key', async (ctx) => {
    const file = join(import.meta.dirname, '..', 'corpus', 'usdt', 'python_calls.c');
    const binary = '/usr/bin/python3.11';
    if (!existsSync(binary)) {
      console.log(`skipped: USDT binary ${binary} not on this machine`);
      ctx.skip();
    }
    const usdt = [{ path: binary, probes: [{ probe: 'python:function__entry', fnName: 'on_call' }] }];
    const fresh = mkdtempSync(join(tmpdir(), 'tsbcc-cache-usdt-'));
    try {
      expect((await compile({ file }, { cacheDir: fresh, usdt })).usdt?.length).toBe(1);
      // without the probe its argument reader does not exist: a compile error, not a cached object
      await expect(compile({ file }, { cacheDir: fresh })).rejects.toBeInstanceOf(CompileError);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('noCache neither reads nor writes', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'tsbcc-nocache-'));
    try {
      const a = await compile(SRC, { cacheDir: fresh, noCache: true });
      expect(a.fromCache).toBeUndefined();
      expect(existsSync(join(fresh, 'objects')) ? readdirSync(join(fresh, 'objects')) : []).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('lives under TSBCC_CACHE_DIR, else XDG_CACHE_HOME/tsbcc, else ~/.cache/tsbcc', () => {
    process.env.TSBCC_CACHE_DIR = '/tmp/x-tsbcc';
    expect(cacheDir()).toBe('/tmp/x-tsbcc');
    delete process.env.TSBCC_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    expect(cacheDir()).toBe('/tmp/xdg/tsbcc');
    delete process.env.XDG_CACHE_HOME;
    expect(cacheDir()).toBe(join(homedir(), '.cache', 'tsbcc'));
  });
});

describe('concurrent compiles', () => {
  it('in-process and forked (CO-RE) compiles run side by side, repeatedly, with the same relocations', async () => {
    const corpus = join(import.meta.dirname, '..', 'corpus');
    const files = [
      'networking/neighbor_sharing.c',
      'tracing/kprobe_args.c',
      'tracing/map_pointers.c',
      'networking/tunnel_monitor.c',
      'tracing/current_task.c',
      'tracing/kprobe_args.c',
    ];
    for (let round = 0; round < 2; round++) {
      const counts = await Promise.all(
        files.map((f) =>
          compile({ file: join(corpus, f) }, { cacheDir: dir, noCache: true }).then((s) => s.programs.length),
        ),
      );
      expect(counts).toEqual([3, 3, 2, 4, 2, 3]);
    }
  });
});
