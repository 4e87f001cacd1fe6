/**
 * The cut CO-RE target BTF (src/core/core-target-btf.ts): every program of the corpus that
 * reads kernel records with CO-RE relocations loads with the same instructions (the offsets
 * libbpf patched in) whether libbpf relocates against the cut BTF or the kernel's own, and the
 * cut is a small fraction of the kernel's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { BpfObject } from '../../src/core/bpf-object.js';
import { ProgramType, isProgramTypeName } from '../../src/uapi/program-type.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { VMLINUX_BTF } from '../../src/compiler/kernel-header.js';
import { coreRelocationRoots, coreTargetBtf } from '../../src/core/core-target-btf.js';
import { native } from '../../src/native.js';
import { requireFeatures } from './helpers/require-features.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** Programs with CO-RE field reads of task_struct, sock, sock_common, sk_buff, net_device. */
const FILES = [
  'test/corpus/tracing/current_task.c',
  'test/corpus/tracing/kprobe_args.c',
  'test/corpus/tracing/map_pointers.c',
  'test/corpus/tracing/probe_seeds.c',
  'test/corpus/tracing/raw_tp.c',
  'test/corpus/tracing/bitfields.c',
  'test/corpus/golden/probe_reads.c',
  'examples/tracing/task_switch/task_switch.c',
];

const cache = mkdtempSync(join(tmpdir(), 'tsbcc-core-btf-'));
const savedEnv = process.env.TSBCC_CACHE_DIR;
beforeAll(() => {
  process.env.TSBCC_CACHE_DIR = cache;
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.TSBCC_CACHE_DIR;
  else process.env.TSBCC_CACHE_DIR = savedEnv;
  rmSync(cache, { recursive: true, force: true });
});

/** The kernel's translation of a loaded program, map ids left out (each load made its own maps). */
function xlated(fd: number): string {
  const id = native().progInfo(fd).id;
  return execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(id)], { encoding: 'utf8' }).replace(
    /map\[id:\d+\]/g,
    'map',
  );
}

/** Loads `program` alone from `elf`, relocating against `btfPath` (the kernel's when undefined). */
function loadOnce(
  elf: Buffer,
  program: string,
  type: number,
  attach: number | undefined,
  btfPath?: string,
): string {
  const o = new (native().NativeObject)(elf, 'core_btf_test', btfPath);
  try {
    for (const p of o.programs()) o.setAutoload(p.name, p.name === program);
    o.setProgramType(program, type, attach);
    o.load();
    return xlated(o.programFd(program));
  } finally {
    o.close();
  }
}

describe('CO-RE target BTF cut from the kernel', () => {
  for (const file of FILES) {
    it(`${file}: same relocated code as against the kernel's BTF`, async (ctx) => {
      await requireFeatures(ctx, 'btf');
      const spec = await compile({ file: join(ROOT, file) }, { cacheDir: cache });
      const roots = coreRelocationRoots(spec.elf);
      expect(roots?.length).toBeGreaterThan(0);
      const path = coreTargetBtf(spec.elf);
      expect(path).toBeDefined();
      if (!path) return;
      expect(path.startsWith(cache)).toBe(true);
      expect(statSync(path).size).toBeLessThan(statSync(VMLINUX_BTF).size / 20);
      // a function without a type from its name gets the file's `// load: TYPE`
      const named = /^\/\/ load: (\w+)$/m.exec(readFileSync(join(ROOT, file), 'utf8'))?.[1];
      const fallback = named && isProgramTypeName(named) ? ProgramType[named] : undefined;
      let loaded = 0;
      for (const p of spec.programs) {
        const type = p.type ?? fallback;
        if (type === undefined) continue;
        const attach = p.type === undefined ? undefined : p.expectedAttachType;
        const cut = loadOnce(spec.elf, p.name, type, attach, path);
        const kernel = loadOnce(spec.elf, p.name, type, attach);
        loaded++;
        expect(cut, `${p.name}`).toBe(kernel);
      }
      expect(loaded).toBeGreaterThan(0);
    });
  }

  it('is cut only for field and enumerator relocations of roots the kernel has', async (ctx) => {
    await requireFeatures(ctx, 'btf');
    // a type-existence relocation may look behind pointers: the kernel's BTF answers it
    const text = [
      '#include <linux/types.h>',
      '#include <bpf/bpf_helpers.h>',
      '#include <bpf/bpf_core_read.h>',
      'struct task_struct { int pid; } __attribute__((preserve_access_index));',
      'SEC("tracepoint/sched/sched_switch")',
      'int t(void *ctx) { return bpf_core_type_exists(struct task_struct); }',
      'char LICENSE[] SEC("license") = "GPL";',
    ].join('\n');
    const spec = await compile({ text, name: 'core_btf_kinds' }, { cacheDir: cache });
    expect(coreRelocationRoots(spec.elf)).toBeUndefined();
    expect(coreTargetBtf(spec.elf)).toBeUndefined();
    // a root the kernel lacks: libbpf would search the modules' BTF
    const own = [
      '#include <linux/types.h>',
      '#include <bpf/bpf_helpers.h>',
      '#include <bpf/bpf_core_read.h>',
      'struct tsbcc_no_such_kernel_type { int a; } __attribute__((preserve_access_index));',
      'SEC("tracepoint/sched/sched_switch")',
      'int t(struct tsbcc_no_such_kernel_type *p) { return bpf_core_field_exists(p->a); }',
      'char LICENSE[] SEC("license") = "GPL";',
    ].join('\n');
    const spec2 = await compile({ text: own, name: 'core_btf_missing' }, { cacheDir: cache });
    expect(coreRelocationRoots(spec2.elf)).toEqual([expect.stringMatching(/:tsbcc_no_such_kernel_type$/)]);
    expect(coreTargetBtf(spec2.elf)).toBeUndefined();
  });
  it('cuts again when the cache directory lost the cut (a long-running process)', async (ctx) => {
    await requireFeatures(ctx, 'btf');
    const spec = await compile({ file: join(ROOT, FILES[0] ?? '') }, { cacheDir: cache });
    const obj = BpfObject.create(spec);
    try {
      const path = coreTargetBtf(spec.elf);
      expect(path).toBeDefined();
      rmSync(path ?? '');
      obj.loadFunc('tracepoint__sched__sched_process_exec', 'TRACEPOINT');
      expect(existsSync(path ?? '')).toBe(true);
    } finally {
      obj.close();
    }
  });
});
