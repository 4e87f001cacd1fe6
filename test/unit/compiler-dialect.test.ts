/**
 * The BCC-C front end without the kernel: exact diagnostics for the negative corpus, golden
 * rewrites, tracepoint structs and naming conventions.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elfSection } from '../../src/compiler/btf-layout.js';
import { compile } from '../../src/compiler/compile.js';
import { machineFacts } from '../../src/compiler/machine.js';
import { kernelProgramName, nameConvention } from '../../src/compiler/program-naming.js';
import { referencedTracepoints, tracepointStruct } from '../../src/compiler/tracepoint-structs.js';
import { parseUsdtArg, usdtLocations, usdtReaders } from '../../src/compiler/usdt.js';
import { CompileError, formatDiagnostic } from '../../src/errors.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-unit-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('negative corpus: each misuse has its exact diagnostic', () => {
  const dir = join(CORPUS, 'errors');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.c'))) {
    it(f, async () => {
      const path = join(dir, f);
      const text = readFileSync(path, 'utf8');
      const m = /^\/\/ error: (\d+):(\d+): (.*)$/m.exec(text);
      if (!m) throw new Error(`${f} has no "// error:" line`);
      const cflags = /^\/\/ cflags: (.*)$/m.exec(text)?.[1]?.split(' ') ?? [];
      const err = await compile({ file: path }, { cflags, cacheDir: cache }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CompileError);
      const first = (err as CompileError).diagnostics.find(
        (d) => d.severity === 'error' || d.severity === 'fatal',
      );
      expect(first).toMatchObject({ line: Number(m[1]), column: Number(m[2]), message: m[3] });
      if (first && first.line > 0) {
        // in the user's file, with the source line and a caret under the column
        expect(first.file).toBe(path);
        expect(first.sourceLine).toBe(text.split('\n')[first.line - 1]);
        const shown = formatDiagnostic(first).split('\n');
        expect(shown[0]).toBe(`${path}:${m[1]}:${m[2]}: error: ${m[3]}`);
        expect(shown[2]).toBe(`${' '.repeat(Number(m[2]) - 1)}^`);
      }
    });
  }
});

describe('golden rewrites', () => {
  // golden/<name>.expected is the rewrite of golden/<name>.c, or of the corpus program named here
  const sources: Record<string, string> = { probe_seeds: join('tracing', 'probe_seeds.c') };
  for (const name of ['packet_access', 'probe_reads', 'probe_seeds']) {
    it(name, async () => {
      const source = join(CORPUS, sources[name] ?? join('golden', `${name}.c`));
      const spec = await compile({ file: source }, { cacheDir: cache });
      const expected = readFileSync(join(CORPUS, 'golden', `${name}.expected`), 'utf8');
      const text = spec.rewrittenSource?.split('\n#include <bcc/footer.h>\n')[0];
      expect(text).toBe(expected);
      // the rewrite never moves a line
      expect(text?.split('\n').length).toBe(readFileSync(source, 'utf8').split('\n').length);
    });
  }
});

describe('diagnostics inside rewritten code', () => {
  it('an error in an argument of a rewritten call is reported at the user line', async () => {
    const src =
      'BPF_HASH(h, u32, u64);\nint f(struct __sk_buff *skb) {\n  u32 k = 0;\n  h.update(&k, &undefined_thing);\n  return 0;\n}\n';
    const err = (await compile(src, { cacheDir: cache }).catch((e: unknown) => e)) as CompileError;
    expect(err).toBeInstanceOf(CompileError);
    expect(err.diagnostics[0]).toMatchObject({ file: '<source>', line: 4, column: 17 });
    expect(err.message).toContain("use of undeclared identifier 'undefined_thing'");
  });
});

describe('tracepoint structs from format files', () => {
  const format = `name: demo
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char comm[TASK_COMM_LEN];\toffset:8;\tsize:16;\tsigned:0;
\tfield:int nr;\toffset:24;\tsize:8;\tsigned:1;
\tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;
\tfield:unsigned char flag;\toffset:38;\tsize:2;\tsigned:0;
`;
  it('collapses the common header, pads gaps, widens by size, keeps data_loc offsets', () => {
    expect(tracepointStruct({ category: 'x', event: 'demo' }, format)).toBe(
      [
        'struct tracepoint__x__demo {',
        '  u64 __do_not_use__;',
        '  char comm[TASK_COMM_LEN];',
        '  s64 nr;',
        '  int data_loc_name;',
        '  char __pad_36;',
        '  char __pad_37;',
        '  u16 flag;',
        '};',
      ].join('\n'),
    );
  });
  it('finds the tracepoints a program names', () => {
    expect(
      referencedTracepoints(
        'TRACEPOINT_PROBE(sched, sched_switch) {}\nint f(struct tracepoint__net__net_dev_xmit *a);',
      ),
    ).toEqual([
      { category: 'sched', event: 'sched_switch', line: 1, column: 1 },
      { category: 'net', event: 'net_dev_xmit', line: 2, column: 7 },
    ]);
  });
});

describe('naming conventions', () => {
  it('types, targets and kernel names', () => {
    expect(nameConvention('kprobe__tcp_v4_connect')).toMatchObject({
      type: 2,
      attachTarget: 'tcp_v4_connect',
    });
    expect(nameConvention('tracepoint__sched__sched_switch').attachTarget).toBe('sched:sched_switch');
    expect(nameConvention('kfunc__vmlinux__vfs_read')).toMatchObject({
      type: 26,
      expectedAttachType: 24,
      attachTarget: 'vfs_read',
    });
    expect(nameConvention('kmod_ret__x').autoAttach).toBe(false);
    expect(nameConvention('handle_egress')).toEqual({ autoAttach: false });
    expect(kernelProgramName('kretprobe__inet_csk_accept')).toBe('inet_csk_accept');
    expect(kernelProgramName('kfunc__vmlinux__do_sys_openat2')).toBe('do_sys_openat2');
    expect(kernelProgramName('a_really_long_function_name')).toBe('a_really_long_f');
  });
});

describe('USDT', () => {
  it('parses x86_64 operands', () => {
    expect(parseUsdtArg('-4@%eax')).toEqual({ size: 4, signed: true, kind: 'reg', reg: 'ax' });
    expect(parseUsdtArg('8@%r12')).toEqual({ size: 8, signed: false, kind: 'reg', reg: 'r12' });
    expect(parseUsdtArg('-4@112(%rsp)')).toEqual({
      size: 4,
      signed: true,
      kind: 'mem',
      reg: 'sp',
      disp: 112n,
    });
    expect(parseUsdtArg('8@-8(%rbp)')).toEqual({ size: 8, signed: false, kind: 'mem', reg: 'bp', disp: -8n });
    expect(parseUsdtArg('4@$5')).toEqual({ size: 4, signed: false, kind: 'imm', value: 5n });
    expect(() => parseUsdtArg('8@%xmm0')).toThrow(/unsupported USDT register/);
  });

  it('generates a size-checked reader per argument', () => {
    const text = usdtReaders('h', [
      {
        provider: 'p',
        name: 'n',
        pc: 0x10n,
        semaphore: 0n,
        args: [parseUsdtArg('-4@%eax'), parseUsdtArg('8@16(%rsp)')],
      },
    ]);
    expect(text).toContain('int _bpf_readarg_h_1(struct pt_regs *ctx, void *dest, unsigned long len)');
    expect(text).toContain('if (len != 4) return -1;');
    expect(text).toContain('s32 _v = (s32)ctx->ax;');
    expect(text).toContain('bpf_probe_read_user(&_v, sizeof(_v), (void *)(ctx->sp + (16ll)))');
  });

  it.skipIf(!existsSync('/usr/bin/python3.11'))('reads the probe notes of a real binary', () => {
    const locs = usdtLocations(readFileSync('/usr/bin/python3.11'));
    const entry = locs.find((l) => l.provider === 'python' && l.name === 'function__entry');
    expect(entry?.args.length).toBe(3);
    expect(entry?.semaphore).not.toBe(0n);
  });

  it('bpf_usdt_readarg calls the reader of the enclosing handler', async () => {
    const spec = await compile(
      'int h(struct pt_regs *ctx) { long v = 0; bpf_usdt_readarg(1, ctx, &v); return v; }',
      { cacheDir: cache, noCache: true },
    ).catch((e: unknown) => e as CompileError);
    // no USDT context: the reader does not exist, and the error names it at the user's line
    expect(spec).toBeInstanceOf(CompileError);
    expect((spec as CompileError).message).toMatch(/_bpf_readarg_h_1/);
  });
});

describe("BCC's JSON key/leaf descriptions", () => {
  it('pads misaligned fields, resolves typedefs, keeps arrays and bitfields', async () => {
    const spec = await compile(
      `struct k_t { u8 a; u32 b; char name[4][2]; u16 c; };
struct bits_t { u32 x : 3; u32 y : 29; };
BPF_HASH(h, struct k_t, struct bits_t, 4);
BPF_ARRAY(a, u64, 2);`,
      { cacheDir: cache },
    );
    const h = spec.maps.find((m) => m.name === 'h');
    expect(h?.keyDesc).toEqual([
      'k_t',
      [
        ['a', 'unsigned char'],
        ['__pad_1', 'char', [3]],
        ['b', 'unsigned int'],
        ['name', 'char', [4, 2]],
        ['c', 'unsigned short'],
        ['__pad_end', 'char', [2]],
      ],
      'struct_packed',
    ]);
    expect(h?.valueDesc).toEqual([
      'bits_t',
      [
        ['x', 'unsigned int', 3],
        ['y', 'unsigned int', 29],
      ],
      'struct',
    ]);
    const a = spec.maps.find((m) => m.name === 'a');
    expect(a?.keyDesc).toBe('int');
    expect(a?.valueDesc).toBe('unsigned long long');
  });
});

describe('builtins and license', () => {
  it('bpf_trace_printk format checks are warnings; bpf_num_cpus is the online CPU count', async () => {
    const spec = await compile(
      `int f(struct __sk_buff *skb) {
  bpf_trace_printk("%s %s\\n", "a", "b");
  bpf_trace_printk("%d %d %d %d\\n", 1, 2, 3);
  bpf_trace_printk("%f\\n", 1);
  return bpf_num_cpus();
}`,
      { cacheDir: cache, noCache: true },
    );
    const warnings = spec.diagnostics
      .filter((d) => d.severity === 'warning')
      .map((d) => `${d.line}: ${d.message}`);
    expect(warnings).toEqual([
      '2: bpf_trace_printk supports at most one %s',
      '3: bpf_trace_printk takes at most 3 arguments in its format',
      '4: bpf_trace_printk does not support the %f conversion',
    ]);
    expect(spec.rewrittenSource).toContain(`return ${machineFacts().onlineCpus};`);
  });

  it('license: GPL by default, BPF_LICENSE in the program otherwise (several words allowed)', async () => {
    const dflt = await compile('int f(struct __sk_buff *skb) { return 0; }', { cacheDir: cache });
    expect(elfSection(dflt.elf, 'license')?.toString('latin1')).toBe('GPL\0');
    const dual = await compile(
      '#define BPF_LICENSE Dual BSD/GPL\nint f(struct __sk_buff *skb) { return 0; }',
      {
        cacheDir: cache,
      },
    );
    expect(elfSection(dual.elf, 'license')?.toString('latin1')).toBe('Dual BSD/GPL\0');
  });
});

describe('kernel includes come from BTF', () => {
  it('linux/sched.h, net/sock.h, uapi/linux/ptrace.h, linux/blkdev.h and friends compile without kernel headers', async () => {
    const spec = await compile(
      `#include <linux/sched.h>
#include <net/sock.h>
#include <uapi/linux/ptrace.h>
#include <linux/blkdev.h>
#include <linux/netdevice.h>
#include <asm/page.h>
BPF_HASH(sizes, u32, u64);
int trace_rq(struct pt_regs *ctx, struct request *rq) {
  u32 len = rq->__data_len;
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  u64 v = len + t->pid + PAGE_SIZE + ETH_P_IP + TC_ACT_OK;
  sizes.update(&len, &v);
  return 0;
}`,
      { cacheDir: cache },
    );
    expect(spec.programs.map((p) => p.name)).toEqual(['trace_rq']);
    expect(spec.rewrittenSource).toContain('__builtin_preserve_access_index(&_base->__data_len)');
  });
});

describe('tracepoint structs from BTF', () => {
  it('without tracefs, TRACEPOINT_PROBE takes its struct from trace_event_raw_<event>', async () => {
    const spec = await compile(
      'BPF_HASH(c, u32, u64);\nTRACEPOINT_PROBE(sched, sched_switch) { u32 p = args->next_pid; c.increment(p); return 0; }',
      { cacheDir: cache, noCache: true, tracefs: null },
    );
    expect(spec.programs[0]).toMatchObject({
      name: 'tracepoint__sched__sched_switch',
      attachTarget: 'sched:sched_switch',
    });
    const missing = await compile('TRACEPOINT_PROBE(nosuch, nothing_here) { return 0; }', {
      cacheDir: cache,
      tracefs: null,
    }).catch((e: unknown) => e as CompileError);
    expect((missing as CompileError).diagnostics[0]).toMatchObject({
      line: 1,
      column: 1,
      message: "tracepoint nosuch:nothing_here is not in the kernel's BTF and tracefs is not available",
    });
  });
});
