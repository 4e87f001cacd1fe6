/**
 * `tsbcc check FILE`: compile, then load functions into the kernel verifier without attaching
 * them. Exit status 0 only when every requested function loads.
 */
import type { Command } from 'commander';
import { compile } from '../compiler/compile.js';
import type { ObjectSpec } from '../compiler/object-spec.js';
import { BpfObject } from '../core/bpf-object.js';
import { ProgramType, isProgramTypeName } from '../uapi/program-type.js';
import { InvalidArgumentError, TsbccError } from '../errors.js';
import { collectCflags, parseUsdtOptions } from './compile.js';

/** One function's verdict. */
export interface CheckResult {
  /** null only when the file did not compile and no --load named a function. */
  name: string | null;
  type: string | null;
  loaded: boolean;
  error: string | null;
}

/** Parses `NAME=TYPE` (BCC type names). */
export function parseLoadSpec(s: string): { name: string; type: keyof typeof ProgramType } {
  const m = /^([A-Za-z_]\w*)=(\w+)$/.exec(s);
  if (!m) throw new InvalidArgumentError(`--load expects NAME=TYPE (e.g. classify=SCHED_CLS), got "${s}"`);
  const type = (m[2] ?? '').toUpperCase();
  if (!isProgramTypeName(type)) {
    const known = Object.keys(ProgramType).join(', ');
    throw new InvalidArgumentError(`--load ${s}: unknown program type "${m[2]}" (known: ${known})`);
  }
  return { name: m[1] ?? '', type };
}

function typeName(n: number): string {
  return Object.entries(ProgramType).find(([, v]) => v === n)?.[0] ?? String(n);
}

/** Loads the requested functions (or every function whose name implies a type). */
export function checkLoads(
  spec: ObjectSpec,
  loads: { name: string; type: keyof typeof ProgramType }[],
): CheckResult[] {
  const wanted =
    loads.length > 0
      ? loads.map((l) => ({
          name: l.name,
          type: ProgramType[l.type] as number,
          attach: undefined as number | undefined,
        }))
      : spec.programs
          .filter((p) => p.type !== undefined)
          .map((p) => ({ name: p.name, type: p.type ?? 0, attach: p.expectedAttachType }));
  const results: CheckResult[] = [];
  const obj = BpfObject.create(spec);
  try {
    for (const w of wanted) {
      const prog = spec.programs.find((p) => p.name === w.name);
      const attach = w.attach ?? prog?.expectedAttachType;
      try {
        obj.loadFunc(w.name, w.type, attach !== undefined ? { expectedAttachType: attach } : {});
        results.push({ name: w.name, type: typeName(w.type), loaded: true, error: null });
      } catch (e) {
        results.push({ name: w.name, type: typeName(w.type), loaded: false, error: (e as Error).message });
      }
    }
  } finally {
    obj.close();
  }
  return results;
}

/** Adds `check` to the CLI. */
export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description('compile and load functions into the kernel verifier (no attaching)')
    .argument('<file>', 'the C source')
    .option('--cflags <flags>', 'extra compiler flags (repeatable; space-separated)', collectCflags, [])
    .option('--load <NAME=TYPE...>', 'load NAME as TYPE (BCC names: SCHED_CLS, KPROBE, XDP, ...)')
    .option('--json', 'print one JSON object per function: {name, type, loaded, error}')
    .option('--no-cache', 'neither read nor write the object cache')
    .option('--usdt <PATH@probe=FN...>', 'enable USDT probe [provider:]name of PATH for handler FN')
    .action(
      async (
        file: string,
        o: { cflags: string[]; load?: string[]; json?: boolean; cache: boolean; usdt?: string[] },
      ) => {
        const loads = (o.load ?? []).map(parseLoadSpec);
        const usdt = o.usdt?.length ? parseUsdtOptions(o.usdt) : undefined;
        let spec: ObjectSpec;
        try {
          spec = await compile({ file }, { cflags: o.cflags, noCache: !o.cache, ...(usdt ? { usdt } : {}) });
        } catch (e) {
          if (!o.json || !(e instanceof TsbccError)) throw e;
          // --json: the requested functions (or one entry without a name) did not load
          const error = e.message;
          const failed = loads.length ? loads : [{ name: null, type: null }];
          for (const l of failed)
            console.log(JSON.stringify({ name: l.name, type: l.type, loaded: false, error }));
          console.error(`tsbcc: ${error}`);
          process.exitCode = 1;
          return;
        }
        const results = checkLoads(spec, loads);
        if (results.length === 0)
          throw new TsbccError(
            `${file}: no function has a type its name implies; name them with --load NAME=TYPE (functions: ${spec.programs.map((p) => p.name).join(', ')})`,
          );
        for (const r of results) {
          if (o.json) console.log(JSON.stringify(r));
          else
            console.log(r.loaded ? `ok    ${r.name} (${r.type})` : `FAIL  ${r.name} (${r.type})\n${r.error}`);
        }
        if (results.some((r) => !r.loaded)) process.exitCode = 1;
      },
    );
}
