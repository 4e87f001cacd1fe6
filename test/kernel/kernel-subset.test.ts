/**
 * The subset kernel header (src/compiler/kernel-subset.ts) gives the same programs as the full
 * one: every BCC-C program of test/corpus (but the error cases), of examples/ and of the tools
 * is compiled both ways and the objects compared where the kernel sees them (code, data,
 * relocations, CO-RE relocations: helpers/bpf-object-shape.ts), with the same maps, programs
 * and event layouts (the maps' BTF type ids differ); a program that fails fails with the same
 * diagnostics. Only programs that define kernel names themselves, or fail, may fall back to
 * the full header.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { logger, setLogger, type Logger } from '../../src/logger.js';
import type { ObjectSpec } from '../../src/compiler/object-spec.js';
import { CompileError } from '../../src/errors.js';
import { objectShape } from './helpers/bpf-object-shape.js';
import { TOOL_CASES } from './helpers/tool-cases.js';
import { ToolRun } from './helpers/tool-run.js';

const root = join(import.meta.dirname, '..', '..');
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.c') ? [p] : [];
  });
const FILES = [
  ...walk(join(root, 'test', 'corpus')).filter((f) => !f.includes(`${join('corpus', 'errors')}`)),
  ...walk(join(root, 'examples')),
].sort();
/** Programs that define kernel names themselves (collisions.ts needs the full header). */
const FALLBACK = new Set(['own_structs', 'int_conversion']);

const cache = mkdtempSync(join(tmpdir(), 'tsbcc-subset-'));
const fellBack: string[] = [];
let previous: Logger;
beforeAll(() => {
  previous = logger();
  const quiet = (): void => undefined;
  setLogger({
    debug: (m) => {
      const f = /^(\S+): the kernel header of its \d+ types is not enough/.exec(m);
      if (f) fellBack.push(f[1] ?? '');
    },
    info: quiet,
    warn: quiet,
    error: quiet,
  });
});
afterAll(() => {
  setLogger(previous);
  rmSync(cache, { recursive: true, force: true });
});

type Outcome = { spec: ObjectSpec } | { messages: string[] };

async function both(input: { file: string } | { text: string; name: string }): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const kernelHeader of ['subset', 'full'] as const) {
    try {
      out.push({ spec: await compile(input, { cacheDir: cache, noCache: true, kernelHeader }) });
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      out.push({ messages: e.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`) });
    }
  }
  return out;
}

/** Compares the two outcomes; whether both failed (a failing program takes the full header). */
function expectSame([subset, full]: Outcome[]): boolean {
  if (!subset || !full) throw new Error('two outcomes expected');
  if ('messages' in full || 'messages' in subset) {
    expect(subset).toEqual(full);
    return true;
  }
  const a = subset.spec;
  const b = full.spec;
  expect(objectShape(a.elf)).toEqual(objectShape(b.elf));
  // the maps' BTF type ids differ (fewer types precede them); their layouts may not
  const layouts = (m: ObjectSpec['maps']) => m.map((x) => ({ ...x, btfKeyTypeId: 0, btfValueTypeId: 0 }));
  expect(layouts(a.maps)).toEqual(layouts(b.maps));
  expect(a.programs).toEqual(b.programs);
  expect(a.events).toEqual(b.events);
  expect(a.diagnostics).toEqual(b.diagnostics);
  return false;
}

describe('subset kernel header: the same objects as the full one', () => {
  for (const file of FILES) {
    const name = relative(root, file);
    it(name, async () => {
      const before = fellBack.length;
      const failed = expectSame(await both({ file }));
      const base = name.replace(/^.*\//, '').replace(/\.c$/, '');
      if (!failed && !FALLBACK.has(base)) expect(fellBack.slice(before)).toEqual([]);
    });
  }

  for (const args of TOOL_CASES)
    for (const attach of ['kprobe', 'tracepoint'])
      it(`tool ${args.join(' ')} --attach ${attach}`, async () => {
        const { code, out } = await ToolRun.complete([...args, '--ebpf', '--attach', attach]);
        expect(code).toBe(0);
        const before = fellBack.length;
        expect(expectSame(await both({ text: out, name: args[0] ?? 'tool' }))).toBe(false);
        expect(fellBack.slice(before)).toEqual([]);
      });
});
