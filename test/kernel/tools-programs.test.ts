/**
 * Every tool's generated program compiles, in both forms (BCC's kprobes and the tracepoint
 * equivalents) and with the options that change it, on this kernel's types: the kprobe forms
 * run only in the VM lane, so their programs are compiled here too (`--ebpf --attach kprobe`).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { ToolRun } from './helpers/tool-run.js';
import { TOOL_CASES as CASES } from './helpers/tool-cases.js';

describe('tools: generated programs', () => {
  for (const args of CASES)
    for (const attach of ['kprobe', 'tracepoint'])
      it(`${args.join(' ')} --attach ${attach} compiles`, async () => {
        const { code, out, err } = await ToolRun.complete([...args, '--ebpf', '--attach', attach]);
        expect(err).toBe('');
        expect(code).toBe(0);
        const spec = await compile(out, { name: args[0] ?? 'tool' });
        expect(spec.programs.length).toBeGreaterThan(0);
      });
});
