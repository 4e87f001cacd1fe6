/**
 * Fuzz tests of the compiler's front door: mutated BCC-C (deleted and inserted text, unbalanced
 * braces, stray quotes and comment openers, binary bytes), expressions nested beyond what any
 * stack holds, macros that expand exponentially, and 1 MB sources. Every input gives an
 * ObjectSpec or a CompileError (never another exception, a crash of the process, or a hang).
 * That compiles keep no descriptor or memory is the soak's to show (test/kernel/soak.test.ts:
 * unit files share a process, so their descriptors cannot be counted here).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { MAX_NESTING, maxNesting } from '../../src/compiler/nesting.js';
import { CompileError } from '../../src/errors.js';
import { fuzzParams, typedOrResultAsync, type Outcome } from './helpers/fuzz.js';

const PROGRAMS = [
  `#include <bcc/proto.h>
BPF_HASH(counts, u32, u64);
int count(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != 0x0800) return 0;
  u32 key = skb->ifindex;
  counts.increment(key);
  return -1;
}
`,
  `BPF_ARRAY(hist, u64, 64);
BPF_PERF_OUTPUT(events);
struct ev { u32 len; char tag[8]; };
int classify(struct __sk_buff *skb) {
  struct ev e = {};
  e.len = skb->len;
  __builtin_memcpy(e.tag, "packet", 7);
  int slot = bpf_log2l(skb->len);
  hist.increment(slot);
  events.perf_submit(skb, &e, sizeof(e));
  return skb->len > 1000 ? 2 : 0;
}
`,
  `#define MAX 16
BPF_RINGBUF_OUTPUT(ring, 4);
TRACEPOINT_PROBE(sched, sched_process_exec) {
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  for (int i = 0; i < MAX; i++) { if (i == (pid & 7)) break; }
  ring.ringbuf_output(&pid, sizeof(pid), 0);
  return 0;
}
`,
];

/** Pieces that break C in interesting ways when inserted. */
const PIECES = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ';',
  '"',
  "'",
  '/*',
  '*/',
  '//',
  '\\',
  '#define',
  '#include <',
  '#if 1\n',
  '#endif\n',
  '\n#',
  '\0',
  '\uFFFD',
  '??/',
  'BPF_HASH(',
  'struct',
  'int x =',
  '->',
  '...',
  '0x',
  '1e',
  '__attribute__((',
  '\x1b[31m',
];

type Edit = { at: number; del: number; ins: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  del: fc.nat(12),
  ins: fc.oneof(
    fc.constantFrom(...PIECES),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a).toString('latin1')),
  ),
});

function applyEdits(text: string, edits: Edit[]): string {
  for (const e of edits) {
    const at = e.at % (text.length + 1);
    text = text.slice(0, at) + e.ins + text.slice(at + e.del);
  }
  return text;
}

/** Compiles without the cache; a CompileError or a result, within `maxMs`. */
function tryCompile(text: string, maxMs = 30_000): Promise<Outcome<unknown>> {
  return typedOrResultAsync(() => compile(text, { noCache: true }), maxMs);
}

/** The CompileError of an outcome, failing when there is none. */
function compileError(o: Outcome<unknown>): CompileError {
  if (o.ok) throw new Error('compiled, but an error was expected');
  expect(o.error).toBeInstanceOf(CompileError);
  return o.error as CompileError;
}

beforeAll(async () => {
  await compile(PROGRAMS[0] as string, { noCache: true }); // load clang and the kernel header once
}, 60_000);

describe('compiler front door', () => {
  it('the unmutated programs compile', async () => {
    for (const p of PROGRAMS) expect((await tryCompile(p)).ok).toBe(true);
  });

  it('mutated programs give a result or a CompileError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROGRAMS),
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        async (p, edits) => {
          await tryCompile(applyEdits(p, edits));
        },
      ),
      fuzzParams(30),
    );
  }, 300_000);

  it('random bytes give a CompileError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (a) => {
        const text = Buffer.from(a).toString('latin1');
        const o = await tryCompile(text);
        // random bytes may happen to be valid C without a function: then an empty object
        if (!o.ok) expect(o.error).toBeInstanceOf(CompileError);
      }),
      fuzzParams(15),
    );
  }, 300_000);

  it('unbalanced braces and parentheses are errors with a place', async () => {
    for (const text of [
      PROGRAMS[0] + '{'.repeat(50),
      '}'.repeat(50) + PROGRAMS[0],
      (PROGRAMS[1] as string).replace(/\)/g, ''),
      (PROGRAMS[2] as string).replace(/\{/g, ''),
      '('.repeat(300) + 'int x;',
    ]) {
      const e = compileError(await tryCompile(text));
      const first = e.diagnostics.find((d) => d.severity === 'error' || d.severity === 'fatal');
      expect(first?.line).toBeGreaterThan(0);
    }
  }, 120_000);

  describe('deep nesting', () => {
    const wrap = (n: number, open: string, close: string, inner = 'x'): string =>
      `int f(int x) { return ${open.repeat(n)}${inner}${close.repeat(n)}; }\n`;
    const shapes: [string, (n: number) => string][] = [
      ['!', (n) => wrap(n, '!', '')],
      ['-', (n) => wrap(n, '- ', '')],
      ['(int)', (n) => wrap(n, '(int)', '')],
      ['( )', (n) => wrap(n, '(', ')')],
      ['a = ', (n) => `int f(int a) { ${'a = '.repeat(n)}1; return a; }\n`],
      ['?:', (n) => wrap(n, 'x ? ', ' : 0')],
      ['[ ]', (n) => `int f(int *a) { return ${'a['.repeat(n)}0${']'.repeat(n)}; }\n`],
      ['{ }', (n) => `int f(int x) { ${'{'.repeat(n)}x++;${'}'.repeat(n)} return x; }\n`],
    ];

    it('the estimate counts every shape at its depth', () => {
      for (const [name, make] of shapes) {
        const d = maxNesting(make(1000)).depth;
        expect(d, name).toBeGreaterThanOrEqual(1000);
        expect(d, name).toBeLessThan(1010);
      }
      // comments, strings, directives and long flat expressions carry no depth
      const flat = `// ${'('.repeat(5000)}\n/* ${'!'.repeat(5000)} */\nchar s[] = "${'{'.repeat(5000)}";\n#define X ${'('.repeat(5000)}\nint f(int x) { return ${'x + '.repeat(5000)}1; }\n`;
      expect(maxNesting(flat).depth).toBeLessThan(5);
    });

    it(`beyond ${MAX_NESTING} levels: a CompileError at the place, before clang runs`, async () => {
      for (const [name, make] of shapes) {
        const started = performance.now();
        const e = compileError(await tryCompile(make(50_000)));
        expect(e.message, name).toMatch(/nested \d+ levels deep/);
        expect(e.diagnostics[0]).toMatchObject({ line: 1, file: '<source>' });
        expect(e.diagnostics[0]?.column).toBeGreaterThan(MAX_NESTING);
        expect(performance.now() - started, name).toBeLessThan(5_000);
      }
    }, 120_000);

    it('at the limit: compiled or a CompileError, in seconds, the process survives', async () => {
      // stock clang on an 8 MB stack dies with SIGSEGV at ~20,000 levels of casts
      for (const [name, make] of shapes) {
        const started = performance.now();
        await tryCompile(make(MAX_NESTING - 5), 30_000);
        expect(performance.now() - started, name).toBeLessThan(20_000);
      }
    }, 300_000);
  });

  it('an exponential macro is stopped with a CompileError at its expansion', async () => {
    const defs = Array.from({ length: 30 }, (_, i) => `#define M${i + 1} M${i} M${i}`).join('\n');
    const started = performance.now();
    const e = compileError(await tryCompile(`#define M0 1 +\n${defs}\nint f(void) { return M30 1; }\n`));
    expect(e.message).toMatch(/macro expansion produced more than 262144 tokens/);
    expect(e.diagnostics.find((d) => d.severity === 'fatal')?.line).toBe(32);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 60_000);

  describe('1 MB sources', () => {
    const MB = 1 << 20;
    it('a program padded with a 1 MB comment compiles', async () => {
      const o = await tryCompile(`/*${'x'.repeat(MB)}*/\n${PROGRAMS[0]}`);
      expect(o.ok).toBe(true);
    }, 60_000);

    it('1 MB of functions, of declarations, of a string, of garbage', async () => {
      const funcs = Array.from(
        { length: MB / 64 },
        (_, i) => `static __always_inline int g${i}(int x) { return x + ${i}; }`,
      ).join('\n');
      const decls = Array.from({ length: MB / 32 }, (_, i) => `static int v${i} = ${i};`).join('\n');
      const str = `const char s[] = "${'a'.repeat(MB)}";\n`;
      const junk = '@'.repeat(MB);
      for (const text of [`${funcs}\n${PROGRAMS[1]}`, `${decls}\n${PROGRAMS[1]}`, str, junk]) {
        expect(text.length).toBeGreaterThanOrEqual(MB * 0.8);
        await tryCompile(text, 60_000);
      }
    }, 300_000);

    it('a flat expression of 16,000 terms (a 16,000-deep tree for clang) compiles', async () => {
      const o = await tryCompile(`int f(int x) { return ${'x + '.repeat(16_000)}1; }\n`, 60_000);
      expect(o.ok).toBe(true);
    }, 120_000);
  });
});
