/** compile(): C text or a file in, an inert ObjectSpec out, in-process through libclang. */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { CompileError, TsbccError, fromNative } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { clangArgs, type ClangArgsOptions } from './clang-args.js';
import { toDiagnostics, type UserSource } from './diagnostics.js';
import { compileBcc } from './bcc-compile.js';
import { describeProgram } from './program-naming.js';
import { mapLayoutsFromBtf } from './btf-layout.js';
import { checkNesting } from './nesting.js';
import { releaseSubsets } from './kernel-subset.js';
import type { UsdtContext } from './usdt.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from './object-spec.js';

/** What to compile: C text, or a file to read. */
export type CompileInput = string | { file: string } | { text: string; name?: string };

/** Options of compile(). */
export interface CompileOptions extends ClangArgsOptions {
  /** Name for the object; default: the file's base name without extension, or `source`. */
  name?: string;
  /**
   * Which C: `bcc` (BCC's dialect: map macros, table methods, packet access, kernel types from
   * BTF), `libbpf` (plain libbpf-style C with SEC() and system headers), or `auto` (default:
   * libbpf when the text includes <bpf/bpf_helpers.h>, else bcc).
   */
  dialect?: 'bcc' | 'libbpf' | 'auto';
  /** BCC-C: bypass the on-disk object cache (neither read nor written). */
  noCache?: boolean;
  /** BCC-C: cache directory (default: $TSBCC_CACHE_DIR, else the XDG cache dir + /tsbcc). */
  cacheDir?: string;
  /** BCC-C: also produce the LLVM IR in `ObjectSpec.llvmIr` (bypasses the cache). */
  emitLlvm?: boolean;
  /** BCC-C: USDT probes to enable (`bpf_usdt_readarg*` readers are generated from the binary). */
  usdt?: UsdtContext[];
  /**
   * BCC-C: tracefs root for TRACEPOINT_PROBE format files; null: use the kernel's BTF
   * (trace_event_raw_<event>) instead; default: found or mounted.
   */
  tracefs?: string | null;
  /**
   * BCC's debug flags: DEBUG_LLVM_IR (0x1) logs the LLVM IR, DEBUG_PREPROCESSOR (0x4) logs the
   * rewritten C, both through the injectable logger at info level (the library never prints).
   */
  debug?: number;
  /**
   * BCC-C: which kernel header to compile against: `subset` (only the types the program
   * reaches, dumped from BTF for this compile; the full one when that is not enough), `full`
   * (every BTF type, precompiled once per kernel and cache directory: less CPU per compile,
   * more memory, ~1 s to build), or `auto` (default: `subset`).
   */
  kernelHeader?: 'auto' | 'subset' | 'full';
}

/** BCC's debug flag: log the LLVM IR. */
export const DEBUG_LLVM_IR = 0x1;
/** BCC's debug flag: log the rewritten (preprocessed) C. */
export const DEBUG_PREPROCESSOR = 0x4;

/** The dialect `auto` picks for a text. */
export function detectDialect(text: string): 'bcc' | 'libbpf' {
  return /#\s*include\s*<bpf\/bpf_helpers\.h>/.test(text) ? 'libbpf' : 'bcc';
}

interface ResolvedInput {
  source: UserSource;
  name: string;
  includeDir?: string;
}

async function resolveInput(input: CompileInput, opts: CompileOptions): Promise<ResolvedInput> {
  if (typeof input === 'string') input = { text: input };
  if ('file' in input) {
    const path = resolve(input.file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new TsbccError(`cannot read ${input.file}: ${(e as Error).message}`, 'ENOENT', { cause: e });
    }
    return {
      source: { virtualPath: path, displayName: input.file, text },
      name: opts.name ?? basename(path).replace(/\.[^.]*$/, ''),
      includeDir: dirname(path),
    };
  }
  const display = input.name ?? '<source>';
  return {
    source: { virtualPath: '/virtual/tsbcc/main.c', displayName: display, text: input.text },
    name: opts.name ?? input.name?.replace(/\.[^.]*$/, '') ?? 'source',
  };
}

/**
 * Describes the programs and maps of an ELF object by opening it with libbpf (nothing reaches
 * the kernel); each program's type, attach kind and target follow BCC's naming conventions
 * (program-naming.ts) or else its libbpf section.
 * @param opts.bcc the object is BCC-C: programs also get BCC's kernel-visible names.
 */
export function describeElf(
  elf: Buffer,
  name: string,
  opts: { bcc?: boolean } = {},
): { programs: ProgramSpec[]; maps: MapSpec[] } {
  const n = native();
  let obj;
  try {
    obj = new n.NativeObject(elf, name);
  } catch (e) {
    throw fromNative(e, `cannot open the BPF object ${name}`);
  }
  try {
    const programs = obj.programs().map((p) => describeProgram(p, opts.bcc ?? false));
    const maps: MapSpec[] = obj
      .maps()
      .filter((m) => !m.internal)
      .map((m) => ({
        name: m.name,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        flags: m.flags,
        btfKeyTypeId: m.btfKeyTypeId,
        btfValueTypeId: m.btfValueTypeId,
      }));
    return { programs, maps };
  } finally {
    obj.close();
  }
}

/**
 * Compiles C to a BPF object in-process (libclang, off the JS thread).
 * @throws CompileError with diagnostics in the user's coordinates when clang reports errors.
 * @throws TsbccError when the file cannot be read or the addon is not built.
 */
export async function compile(input: CompileInput, opts: CompileOptions = {}): Promise<ObjectSpec> {
  compiling++;
  let compiled = true;
  try {
    const spec = await compileUnreleased(input, opts);
    compiled = spec.fromCache !== true;
    return spec;
  } finally {
    // the last compile running gives back what clang and LLVM left (their code pages, freed heap)
    if (--compiling === 0 && compiled) releaseCompiler();
  }
}

/**
 * native().compilerRelease() and the parsed BTF of subset headers, when the addon loads (else
 * compile's own error is the one to see).
 */
function releaseCompiler(): void {
  releaseSubsets();
  try {
    native().compilerRelease();
  } catch (e) {
    logger().debug(`releasing the compiler's memory: ${(e as Error).message}`);
  }
}

/** Compiles in flight in this process (the memory of the compiler is released when none is). */
let compiling = 0;

async function compileUnreleased(input: CompileInput, opts: CompileOptions): Promise<ObjectSpec> {
  const { source, name, includeDir } = await resolveInput(input, opts);
  const dialect = !opts.dialect || opts.dialect === 'auto' ? detectDialect(source.text) : opts.dialect;
  if (dialect === 'bcc') {
    const bccOpts: Parameters<typeof compileBcc>[3] = { cflags: opts.cflags ?? [] };
    if (opts.debugInfo !== undefined) bccOpts.debugInfo = opts.debugInfo;
    if (opts.noCache !== undefined) bccOpts.noCache = opts.noCache;
    if (opts.cacheDir !== undefined) bccOpts.cacheDir = opts.cacheDir;
    if (opts.emitLlvm !== undefined) bccOpts.emitLlvm = opts.emitLlvm;
    if (opts.usdt !== undefined) bccOpts.usdt = opts.usdt;
    if (opts.tracefs !== undefined) bccOpts.tracefs = opts.tracefs;
    if (opts.kernelHeader !== undefined) bccOpts.kernelHeader = opts.kernelHeader;
    const debug = opts.debug ?? 0;
    if (debug & DEBUG_LLVM_IR) bccOpts.emitLlvm = true;
    const spec = await compileBcc(source, name, includeDir, bccOpts, describeElf);
    if (debug & DEBUG_PREPROCESSOR)
      logger().info(`rewritten ${source.displayName}:\n${spec.rewrittenSource ?? ''}`);
    if (debug & DEBUG_LLVM_IR) logger().info(`LLVM IR of ${source.displayName}:\n${spec.llvmIr ?? ''}`);
    return spec;
  }
  checkNesting(source);
  const cflags = [...(opts.cflags ?? [])];
  if (includeDir) cflags.push('-I', includeDir);
  const result = await native().clangCompile({
    args: clangArgs({ ...opts, cflags }),
    mainPath: source.virtualPath,
    mainSource: source.text,
    emit: 'obj',
    // vmlinux.h's records and the bpf_core_* macros make CO-RE relocations
    core: /preserve_access_index|bpf_core_|BPF_CORE_|vmlinux\.h/.test(source.text),
  });
  const diagnostics = toDiagnostics(result.diagnostics, [source]);
  if (!result.ok) throw new CompileError(diagnostics);
  return { ...objectSpecFromElf(result.output, name), diagnostics, dialect: 'libbpf' };
}

/**
 * The ObjectSpec of a libbpf-style ELF (compiled here or prebuilt): its programs and maps
 * (describeElf) with the map layouts its BTF gives.
 */
export function objectSpecFromElf(elf: Buffer, name: string): ObjectSpec {
  const { programs, maps } = describeElf(elf, name);
  mapLayoutsFromBtf(elf, maps, (m, why) => logger().debug(`no BTF layout for map ${m} of ${name}: ${why}`));
  return { name, elf, programs, maps, diagnostics: [] };
}
