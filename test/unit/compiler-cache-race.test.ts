/**
 * The object cache under concurrent writers: processes compiling the same new source at once
 * all get the same object, and the cache holds one whole entry (written under a private name
 * and renamed into place), never a torn one; a damaged entry is a miss that the next compile
 * replaces.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { cacheEntryPath, cacheGet } from '../../src/compiler/object-cache.js';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tsbcc-cache-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const salt = `${process.pid}_${Date.now()}`;
const SRC = `BPF_ARRAY(hits_${salt}, u64, 4);
int race_${salt}(struct __sk_buff *skb) { int k = skb->len & 3; hits_${salt}.increment(k); return 0; }
`;

describe('object cache races', () => {
  it('four processes compiling the same new source at once write one whole entry', async () => {
    const cache = join(dir, 'cache');
    const src = join(dir, 'race.c');
    writeFileSync(src, SRC);
    const outs = [0, 1, 2, 3].map((i) => join(dir, `out${i}.o`));
    await Promise.all(
      outs.map((o) =>
        exec('node', [join(root, 'dist/src/cli/main.js'), 'compile', src, '--emit', 'obj', '-o', o], {
          env: { ...process.env, TSBCC_CACHE_DIR: cache },
        }),
      ),
    );
    const elfs = outs.map((o) => readFileSync(o));
    for (const e of elfs) expect(e.equals(elfs[0] as Buffer)).toBe(true);
    // one entry, no temporary file left by any writer
    const files = readdirSync(join(cache, 'objects'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]+\.entry$/);
    const key = (files[0] as string).replace(/\.entry$/, '');
    const hit = await cacheGet(cache, key);
    expect(hit?.elf.equals(elfs[0] as Buffer)).toBe(true);
    // and a compile in this process takes it from the cache
    const again = await compile({ file: src }, { cacheDir: cache });
    expect(again.fromCache).toBe(true);
    expect(again.elf.equals(elfs[0] as Buffer)).toBe(true);
  }, 120_000);

  it('a torn or damaged entry is a miss, replaced by the next compile', async () => {
    const cache = join(dir, 'torn');
    const first = await compile(SRC, { cacheDir: cache });
    const [file] = readdirSync(join(cache, 'objects'));
    const key = (file as string).replace(/\.entry$/, '');
    const path = cacheEntryPath(cache, key);
    const whole = readFileSync(path);
    for (const damage of [
      () => truncateSync(path, whole.length - 1),
      () => truncateSync(path, 5),
      () => writeFileSync(path, Buffer.concat([whole, Buffer.from([0])])),
      () => writeFileSync(path, Buffer.from(whole).fill(0xff, 0, 4)),
      () => writeFileSync(path, Buffer.from(whole).fill(0x7b, 8, 12)), // JSON no longer parses
    ]) {
      damage();
      expect(await cacheGet(cache, key)).toBeUndefined();
      const again = await compile(SRC, { cacheDir: cache });
      expect(again.fromCache).toBeUndefined();
      // (the ELF itself is not compared: two compiles of one source can differ in a few bytes)
      expect(again.maps).toEqual(first.maps);
      expect(again.programs.map((p) => p.name)).toEqual(first.programs.map((p) => p.name));
      const stored = await cacheGet(cache, key);
      expect(stored?.elf.equals(again.elf)).toBe(true);
    }
  }, 120_000);
});
