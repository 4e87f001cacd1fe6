/** Which compiled objects print to trace_pipe (the BPF facade opens their reader before attach). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { usesTracePrintk } from '../../src/events/trace-printk-use.js';

const cache = mkdtempSync(join(tmpdir(), 'tsbcc-unit-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const elf = async (text: string): Promise<Buffer> => (await compile({ text }, { cacheDir: cache })).elf;

describe('usesTracePrintk', () => {
  it('finds bpf_trace_printk in a BCC-C program, also in a second function', async () => {
    expect(
      usesTracePrintk(await elf('int kprobe__a(void *ctx) { bpf_trace_printk("hi %d\\n", 1); return 0; }')),
    ).toBe(true);
    const two = `BPF_ARRAY(a, u64, 1);
int f1(void *ctx) { int k = 0; a.increment(k); return 0; }
int f2(void *ctx) { bpf_trace_printk("x\\n"); return 0; }`;
    expect(usesTracePrintk(await elf(two))).toBe(true);
  });

  it('finds bpf_printk with more than three arguments (bpf_trace_vprintk)', async () => {
    const text = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint") int f(void *ctx) { bpf_printk("%d %d %d %d", 1, 2, 3, 4); return 0; }
char LICENSE[] SEC("license") = "GPL";`;
    expect(usesTracePrintk(await elf(text))).toBe(true);
  });

  it('is false for a program that calls other helpers only, and for what is not an ELF', async () => {
    const text = `BPF_HASH(h, u32, u64);
int kprobe__a(void *ctx) { u32 k = bpf_get_current_pid_tgid(); h.increment(k); return 0; }`;
    expect(usesTracePrintk(await elf(text))).toBe(false);
    expect(usesTracePrintk(Buffer.from('not an elf at all, not even close to 64 bytes long........'))).toBe(
      false,
    );
  });
});
