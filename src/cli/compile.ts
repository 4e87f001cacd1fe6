/** `tsbcc compile FILE`: compile BCC-C (or libbpf C) and print or write what came out. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { compile, type CompileOptions } from '../compiler/compile.js';
import type { ObjectSpec } from '../compiler/object-spec.js';
import type { UsdtContext } from '../compiler/usdt.js';
import { InvalidArgumentError } from '../errors.js';

/** Collects repeatable/space-separated --cflags values. */
export function collectCflags(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/\s+/).filter(Boolean)];
}

/**
 * Parses `--usdt PATH@[provider:]name=FUNCTION` options into USDT contexts (one per binary).
 * @throws InvalidArgumentError for a malformed value.
 */
export function parseUsdtOptions(values: string[]): UsdtContext[] {
  const byPath = new Map<string, UsdtContext>();
  for (const v of values) {
    const m = /^(.+)@([\w:]+)=(\w+)$/.exec(v);
    if (!m) throw new InvalidArgumentError(`--usdt expects PATH@[provider:]name=FUNCTION, got "${v}"`);
    const path = m[1] ?? '';
    const ctx = byPath.get(path) ?? { path, probes: [] };
    ctx.probes.push({ probe: m[2] ?? '', fnName: m[3] ?? '' });
    byPath.set(path, ctx);
  }
  return [...byPath.values()];
}

/** The JSON form of a spec (without the ELF bytes and the long texts). */
export function specSummary(spec: ObjectSpec): Record<string, unknown> {
  const { elf, rewrittenSource: _r, llvmIr: _l, ...rest } = spec;
  return { ...rest, elfSize: elf.length };
}

type Emit = 'c' | 'llvm' | 'obj' | 'spec';

/** Adds `compile` to the CLI. */
export function registerCompileCommands(program: Command): void {
  program
    .command('compile')
    .description('compile a BCC-C program (kernel types from BTF) to a BPF object')
    .argument('<file>', 'the C source')
    .option('--cflags <flags>', 'extra compiler flags (repeatable; space-separated)', collectCflags, [])
    .option('--emit <what>', 'c (rewritten C) | llvm | obj | spec (JSON description)', 'spec')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--no-cache', 'neither read nor write the object cache')
    .option('--dialect <d>', 'bcc | libbpf | auto', 'auto')
    .option('--usdt <PATH@probe=FN...>', 'enable USDT probe [provider:]name of PATH for handler FN')
    .action(
      async (
        file: string,
        o: {
          cflags: string[];
          emit: string;
          output?: string;
          cache: boolean;
          dialect: string;
          usdt?: string[];
        },
      ) => {
        if (!['c', 'llvm', 'obj', 'spec'].includes(o.emit))
          throw new InvalidArgumentError(`--emit must be c, llvm, obj or spec (got "${o.emit}")`);
        if (!['bcc', 'libbpf', 'auto'].includes(o.dialect))
          throw new InvalidArgumentError(`--dialect must be bcc, libbpf or auto (got "${o.dialect}")`);
        const emit = o.emit as Emit;
        const opts: CompileOptions = {
          cflags: o.cflags,
          noCache: !o.cache,
          dialect: o.dialect as 'bcc' | 'libbpf' | 'auto',
          emitLlvm: emit === 'llvm',
        };
        if (o.usdt?.length) opts.usdt = parseUsdtOptions(o.usdt);
        const spec = await compile({ file }, opts);
        for (const d of spec.diagnostics.filter((x) => x.severity === 'warning'))
          console.error(`${d.file}:${d.line}:${d.column}: warning: ${d.message}`);
        let out: string | Buffer;
        if (emit === 'obj') out = spec.elf;
        else if (emit === 'c') out = spec.rewrittenSource ?? '(libbpf dialect: no rewrite)\n';
        else if (emit === 'llvm') out = spec.llvmIr ?? '';
        else out = `${JSON.stringify(specSummary(spec), null, 2)}\n`;
        if (o.output) await writeFile(o.output, out);
        else if (emit === 'obj') throw new InvalidArgumentError('--emit obj needs -o FILE (binary output)');
        else process.stdout.write(out);
      },
    );
}
