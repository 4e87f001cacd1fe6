/**
 * The kernel header of one program (src/compiler/kernel-subset.ts, native btfHeader with
 * roots): which BTF types a program's identifiers reach, and what a failed compile says is
 * missing. The dump reads the running kernel's BTF (world-readable; skipped without it).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { native } from '../../src/native.js';
import { VMLINUX_BTF } from '../../src/compiler/kernel-header.js';
import {
  identifiers,
  missingTypes,
  programRoots,
  releaseSubsets,
  subsetHeader,
  SUBSET_VMLINUX,
} from '../../src/compiler/kernel-subset.js';

const hasBtf = existsSync(VMLINUX_BTF);
if (!hasBtf) console.log(`skipping the BTF dumps: no ${VMLINUX_BTF}`);
afterAll(() => native().btfRelease());

const defined = (text: string, tag: string): boolean => new RegExp(`^${tag} \\{$`, 'm').test(text);
const declared = (text: string, tag: string): boolean => new RegExp(`^${tag};$`, 'm').test(text);

describe.skipIf(!hasBtf)('btfHeader with roots', () => {
  it('defines the named records, what they hold by value, and pointees of named members only', () => {
    const { text, types } = native().btfHeader(VMLINUX_BTF, [], ['task_struct', 'files', 'fdt']);
    expect(defined(text, 'struct task_struct')).toBe(true);
    // task->files: the member `files` is named, so files_struct is defined; files->fdt too
    expect(defined(text, 'struct files_struct')).toBe(true);
    expect(defined(text, 'struct fdtable')).toBe(true);
    // task->mm is not named: mm_struct is only declared
    expect(defined(text, 'struct mm_struct')).toBe(false);
    expect(declared(text, 'struct mm_struct')).toBe(true);
    // held by value inside task_struct
    expect(defined(text, 'struct sched_entity')).toBe(true);
    const whole = native().btfHeader(VMLINUX_BTF, []);
    expect(types).toBeGreaterThan(10);
    expect(types).toBeLessThan(whole.types / 4);
    expect(text.length).toBeLessThan(whole.text.length / 4);
  });

  it('brings an enumerator its enum, a typedef its chain, and nothing for unknown names', () => {
    const { text } = native().btfHeader(VMLINUX_BTF, [], ['TCP_ESTABLISHED', 'u32', 'no_such_name_here']);
    expect(text).toMatch(/^\tTCP_ESTABLISHED = 1,$/m);
    expect(text).toMatch(/^typedef __u32 u32;$/m);
    expect(text).toMatch(/^typedef unsigned int __u32;$/m);
    expect(native().btfHeader(VMLINUX_BTF, [], ['no_such_name_here']).types).toBe(0);
  });

  it('answers facts and gives the same text from the kept parse as from a fresh one', () => {
    const facts = [
      'sock:__sk_common.skc_daddr',
      'sock:no.such',
      'enum:TCP_ESTABLISHED',
      'enum:NO_SUCH_ENUMERATOR',
    ];
    const first = native().btfHeader(VMLINUX_BTF, facts, ['sock']);
    expect(first.facts).toEqual([true, false, true, false]);
    native().btfRelease();
    const again = native().btfHeader(VMLINUX_BTF, [], ['sock']);
    expect(again.text).toBe(first.text);
  });
});

describe('roots of a program', () => {
  it('skips comments and strings', () => {
    expect([...identifiers('int a; /* b */ // c\n char *d = "e f"; char g = \'h\';')].sort()).toEqual([
      'a',
      'char',
      'd',
      'g',
      'int',
    ]);
  });

  it('closes over the macros of kernel_defs.h the program names, not the others', () => {
    const roots = programRoots(['u32 d = sk->sk_daddr;']);
    expect(roots).toEqual(expect.arrayContaining(['sk_daddr', '__sk_common', 'skc_daddr', 'sk', 'u32']));
    expect(roots).not.toContain('skc_rcv_saddr');
    // the helper prototypes' typedefs are always there
    expect(roots).toContain('__u64');
  });

  it("keeps the dialect headers' part in a directory for the next process, equal to computing it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-dialect-roots-'));
    try {
      const text = 'u32 d = sk->sk_daddr; struct task_struct *t;';
      const computed = programRoots([text]);
      // a fresh module instance: no roots in memory, so the first call computes and stores them
      vi.resetModules();
      const fresh = await import('../../src/compiler/kernel-subset.js');
      expect(fresh.programRoots([text], [], dir)).toEqual(computed);
      const stored = readdirSync(dir).filter((f) => f.startsWith('dialect-roots-'));
      expect(stored).toHaveLength(1);
      // the next instance reads them: a stored file that says otherwise is believed...
      const file = join(dir, stored[0] ?? '');
      writeFileSync(file, JSON.stringify({ macros: [], always: ['only_this'], helperTags: [] }));
      vi.resetModules();
      const next = await import('../../src/compiler/kernel-subset.js');
      expect(next.programRoots([''], [], dir)).toEqual(['only_this']);
      // ...and a damaged one is computed again
      writeFileSync(file, '{"macros": [');
      vi.resetModules();
      const again = await import('../../src/compiler/kernel-subset.js');
      expect(again.programRoots([text], [], dir)).toEqual(computed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the types a failed compile misses', () => {
    expect(
      missingTypes([
        "incomplete definition of type 'struct files_struct'",
        "variable has incomplete type 'struct fdtable'",
        "unknown type name 'pid_t'",
        "use of undeclared identifier 'TCP_CLOSE'",
        "no member named 'x' in 'struct sock'",
      ]),
    ).toEqual(['TCP_CLOSE', 'fdtable', 'files_struct', 'pid_t']);
  });
});

describe.skipIf(!hasBtf)('subset headers on disk', () => {
  it('serve a program with the same identifiers without reading the BTF, and only that', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-subset-cache-'));
    try {
      // a copy of the BTF that disappears after the first header: a second one can only come
      // from the cache
      const btf = join(dir, 'vmlinux.btf');
      copyFileSync(VMLINUX_BTF, btf);
      const kernelDir = join(dir, 'kernel');
      const text = 'int f(struct __sk_buff *skb) { return skb->len; /* run 1 */ }';
      const first = await subsetHeader(btf, kernelDir, [text]);
      const vmlinux = (h: typeof first): string =>
        h.files.find((f) => f.path === SUBSET_VMLINUX)?.contents ?? '';
      expect(vmlinux(first)).toMatch(/^struct __sk_buff \{$/m);
      expect(first.roots).toEqual(programRoots([text]));
      rmSync(btf);
      releaseSubsets();
      // other numbers, comments and strings: the same identifiers, the same header
      const again = await subsetHeader(btf, kernelDir, [
        'int f(struct __sk_buff *skb) { return skb->len + 2; }',
      ]);
      expect(again).toEqual(first);
      // a new identifier is a new header: the BTF is needed (and gone)
      await expect(subsetHeader(btf, kernelDir, [`${text} int tcp_sock;`])).rejects.toThrow(/vmlinux\.btf/);
      // a damaged entry is a miss, made again
      copyFileSync(VMLINUX_BTF, btf);
      const entries = join(kernelDir, 'subsets');
      for (const f of readdirSync(entries)) writeFileSync(join(entries, f), '{"roots": [');
      releaseSubsets();
      expect(await subsetHeader(btf, kernelDir, [text])).toEqual(first);
    } finally {
      releaseSubsets();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
