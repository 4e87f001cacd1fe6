/**
 * `tsbcc check FILE`: compile, then load functions into the kernel verifier without attaching
 * them. Exit status 0 only when every requested function loads.
 */
import type { Command } from 'commander';
import { compile } from '../compiler/compile.js';
import type { ObjectSpec } from '../compiler/object-spec.js';
import { BpfObject } from '../core/bpf-object.js';
import { AttachType, ProgramType, isAttachTypeName, isProgramTypeName } from '../uapi/program-type.js';
import { mapTypeName } from '../uapi/map-type.js';
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

/** One `--load` request: a function, its program type and optionally its expected attach type. */
export interface LoadSpec {
  name: string;
  type: keyof typeof ProgramType;
  /** enum bpf_attach_type, for program types the kernel loads for one hook (CGROUP_SOCKOPT...). */
  attachType?: number;
}

/**
 * Parses `NAME=TYPE[:ATTACH]` (BCC type names; ATTACH is a BCC BPFAttachType name such as
 * CGROUP_SETSOCKOPT, or its number).
 * @throws InvalidArgumentError for a malformed value or an unknown type name.
 */
export function parseLoadSpec(s: string): LoadSpec {
  const m = /^([A-Za-z_]\w*)=(\w+)(?::(\w+))?$/.exec(s);
  if (!m)
    throw new InvalidArgumentError(
      `--load expects NAME=TYPE[:ATTACH_TYPE] (e.g. classify=SCHED_CLS), got "${s}"`,
    );
  const type = (m[2] ?? '').toUpperCase();
  if (!isProgramTypeName(type)) {
    const known = Object.keys(ProgramType).join(', ');
    throw new InvalidArgumentError(`--load ${s}: unknown program type "${m[2]}" (known: ${known})`);
  }
  const out: LoadSpec = { name: m[1] ?? '', type };
  if (m[3] !== undefined) {
    const a = m[3].toUpperCase();
    if (/^\d+$/.test(a)) out.attachType = Number(a);
    else if (isAttachTypeName(a)) out.attachType = AttachType[a];
    else {
      const known = Object.keys(AttachType).join(', ');
      throw new InvalidArgumentError(`--load ${s}: unknown attach type "${m[3]}" (known: ${known})`);
    }
  }
  return out;
}

function typeName(n: number): string {
  return Object.entries(ProgramType).find(([, v]) => v === n)?.[0] ?? String(n);
}

/** A map `check` created. */
export interface CheckedMap {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** What `check` did: each function's verdict, the maps it created, the functions it left alone. */
export interface CheckOutcome {
  results: CheckResult[];
  maps: CheckedMap[];
  /** Functions neither named with --load nor of a type their name implies. */
  notLoaded: string[];
}

/**
 * Creates the object's maps, then loads the requested functions (or every function whose name
 * implies a type). A program with only maps, or whose functions imply no type, is checked by
 * creating its maps, as BCC's BPF() does.
 */
export function checkLoads(spec: ObjectSpec, loads: LoadSpec[]): CheckOutcome {
  const wanted =
    loads.length > 0
      ? loads.map((l) => ({ name: l.name, type: ProgramType[l.type] as number, attach: l.attachType }))
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
  const maps = spec.maps.map((m) => ({
    name: m.name,
    type: mapTypeName(m.type),
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
  }));
  const notLoaded = spec.programs.map((p) => p.name).filter((n) => !wanted.some((w) => w.name === n));
  return { results, maps, notLoaded };
}

/** Adds `check` to the CLI. */
export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description('compile and load functions into the kernel verifier (no attaching)')
    .argument('<file>', 'the C source')
    .option('--cflags <flags>', 'extra compiler flags (repeatable; space-separated)', collectCflags, [])
    .option(
      '--load <NAME=TYPE...>',
      'load NAME as TYPE (BCC names: SCHED_CLS, KPROBE, XDP, ...); NAME=TYPE:ATTACH also sets the expected attach type (CGROUP_SETSOCKOPT, ...)',
    )
    .option(
      '--json',
      'print one JSON object per function: {name, type, loaded, error}; with no function to load, {maps, notLoaded}',
    )
    .option('--no-cache', 'neither read nor write the object cache')
    .option('--usdt <PATH@probe=FN...>', 'enable USDT probe [provider:]name of PATH for handler FN')
    .option(
      '--after <FILE>',
      'first create the objects of FILE (repeatable, in order) in this process, as earlier BPF() calls of one program: BPF_TABLE("extern", ...) then finds the *_PUBLIC / *_SHARED tables they made',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .action(
      async (
        file: string,
        o: {
          cflags: string[];
          load?: string[];
          json?: boolean;
          cache: boolean;
          usdt?: string[];
          after: string[];
        },
      ) => {
        const loads = (o.load ?? []).map(parseLoadSpec);
        const usdt = o.usdt?.length ? parseUsdtOptions(o.usdt) : undefined;
        const earlier: BpfObject[] = [];
        try {
          for (const f of o.after) {
            const s = await compile({ file: f }, { cflags: o.cflags, noCache: !o.cache });
            earlier.push(BpfObject.create(s));
          }
          await checkOne(file, o, loads, usdt);
        } finally {
          for (const obj of earlier.reverse()) obj.close();
        }
      },
    );
}

/** Compiles FILE and loads the requested functions (or reports the maps it made). */
async function checkOne(
  file: string,
  o: { cflags: string[]; json?: boolean; cache: boolean },
  loads: LoadSpec[],
  usdt: ReturnType<typeof parseUsdtOptions> | undefined,
): Promise<void> {
  let spec: ObjectSpec;
  try {
    spec = await compile({ file }, { cflags: o.cflags, noCache: !o.cache, ...(usdt ? { usdt } : {}) });
  } catch (e) {
    if (!o.json || !(e instanceof TsbccError)) throw e;
    // --json: the requested functions (or one entry without a name) did not load
    const error = e.message;
    const failed = loads.length ? loads : [{ name: null, type: null }];
    for (const l of failed) console.log(JSON.stringify({ name: l.name, type: l.type, loaded: false, error }));
    console.error(`tsbcc: ${error}`);
    process.exitCode = 1;
    return;
  }
  const { results, maps, notLoaded } = checkLoads(spec, loads);
  if (results.length === 0) {
    // maps only, or functions whose names imply no type: the maps were created
    if (o.json) console.log(JSON.stringify({ maps, notLoaded }));
    else {
      const list = maps.map((m) => `${m.name} (${m.type}, ${m.maxEntries} entries)`).join(', ');
      console.log(`ok    maps created: ${list || 'none'}`);
      if (notLoaded.length)
        console.log(
          `      not loaded (no type implied; name them with --load NAME=TYPE): ${notLoaded.join(', ')}`,
        );
    }
    return;
  }
  for (const r of results) {
    if (o.json) console.log(JSON.stringify(r));
    else console.log(r.loaded ? `ok    ${r.name} (${r.type})` : `FAIL  ${r.name} (${r.type})\n${r.error}`);
  }
  if (results.some((r) => !r.loaded)) process.exitCode = 1;
}
