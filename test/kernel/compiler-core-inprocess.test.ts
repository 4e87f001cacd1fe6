/**
 * CO-RE code generation runs in the compiling process (native/compiler/clang_compile.cc empties
 * the state LLVM's BPF CO-RE pass keeps between modules): programs reading the same kernel
 * fields compile to the same bytes however often, in whatever order and however many at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { coreRelocationRoots } from '../../src/core/core-target-btf.js';
import { requireFeatures } from './helpers/require-features.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-core-inproc-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

// both read task_struct fields through bpf_get_current_task(): the same CO-RE access keys
const FILES = ['test/corpus/tracing/current_task.c', 'examples/tracing/task_switch/task_switch.c'];

async function build(file: string): Promise<Buffer> {
  const spec = await compile({ file: join(ROOT, file) }, { cacheDir: cache, noCache: true });
  return spec.elf;
}

describe('CO-RE code generation in-process', () => {
  it('gives the same object for the same program, sequentially and concurrently', async (ctx) => {
    await requireFeatures(ctx, 'btf');
    const first = [await build(FILES[0] ?? ''), await build(FILES[1] ?? '')];
    for (const elf of first) expect(coreRelocationRoots(elf)).toContain('4:task_struct');
    const again = [await build(FILES[0] ?? ''), await build(FILES[1] ?? '')];
    const together = await Promise.all([...FILES, ...FILES].map(build));
    for (let i = 0; i < FILES.length; i++) {
      expect(again[i]?.equals(first[i] ?? Buffer.alloc(0)), `${FILES[i]} again`).toBe(true);
      expect(together[i]?.equals(first[i] ?? Buffer.alloc(0)), `${FILES[i]} concurrently`).toBe(true);
      expect(
        together[i + FILES.length]?.equals(first[i] ?? Buffer.alloc(0)),
        `${FILES[i]} concurrently`,
      ).toBe(true);
    }
  });
});
