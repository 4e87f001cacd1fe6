import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPF, HashTable, TsbccError } from '../../src/index.js';

// A prebuilt libbpf CO-RE object: built here with clang 19 and a vmlinux.h from this kernel's
// BTF (the way libbpf-tools are built), then opened with BPF.fromObjectFile.
describe('prebuilt libbpf CO-RE object file', () => {
  let dir: string;
  let obj: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbcc-core-'));
    writeFileSync(
      join(dir, 'vmlinux.h'),
      execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
        maxBuffer: 1 << 28,
      }),
    );
    obj = join(dir, 'core-counter.bpf.o');
    execFileSync('clang-19', [
      '-target',
      'bpf',
      '-g',
      '-O2',
      '-D__TARGET_ARCH_x86',
      '-I',
      dir,
      '-c',
      join(import.meta.dirname, 'fixtures', 'core-counter.bpf.c'),
      '-o',
      obj,
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads, auto-attaches by section and decodes tables from the object BTF', async () => {
    const b = await BPF.fromObjectFile(obj);
    try {
      expect(b.numOpenTracepoints()).toBe(1);
      for (let i = 0; i < 4; i++) getPriority();
      const t = b.table<number, { calls: bigint; comm: Buffer }>('per_process');
      expect(t).toBeInstanceOf(HashTable);
      const mine = t.get(process.pid);
      expect(mine?.calls).toBe(4n);
      const comm = b.table<number, { comm: string }>('per_process', { strings: true }).get(process.pid)?.comm;
      expect(comm?.length).toBeGreaterThan(0);
      expect(mine?.comm.toString('latin1').startsWith(comm ?? '?')).toBe(true);
    } finally {
      b.close();
    }
  });

  it('names the file when it cannot be read', async () => {
    await expect(BPF.fromObjectFile('/nonexistent/x.bpf.o')).rejects.toThrow(TsbccError);
    await expect(BPF.fromObjectFile('/nonexistent/x.bpf.o')).rejects.toThrow(
      /cannot read \/nonexistent\/x\.bpf\.o/,
    );
  });
});
