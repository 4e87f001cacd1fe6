/**
 * The BCC-C front door: rewrite the dialect (native, over clang's AST), then compile the
 * rewritten text against the kernel header from BTF, describe the result, cache it.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { NativeBccMap, NativeBccRewriteResult, NativeDiagnostic } from '../../native/index.js';
import { CompileError, type Diagnostic } from '../errors.js';
import { ensureTracefs } from '../features/mounts.js';
import { logger } from '../logger.js';
import { native, packageRoot } from '../native.js';
import {
  bccBaseArgs,
  bccIncludeArgs,
  KERNEL_STUB_DIR,
  TRACEPOINT_HEADER,
  UAPI_HEADER,
  UNDEFS_HEADER,
  USDT_HEADER,
} from './bcc-args.js';
import { findCollisions, kernelHeaderVariant } from './collisions.js';
import { resolveUsdt, type UsdtContext } from './usdt.js';
import { bccTypeDesc } from './bcc-type-desc.js';
import { objectBtf, type Btf } from './btf-layout.js';
import { cacheDir } from './cache-dir.js';
import { toDiagnostics, type UserSource } from './diagnostics.js';
import {
  fileIdentity,
  kernelHeader,
  kernelHeaderPlace,
  VMLINUX_BTF,
  type KernelHeader,
} from './kernel-header.js';
import { identifiers, missingTypes, subsetHeader } from './kernel-subset.js';
import { machineFacts } from './machine.js';
import { cacheGet, cacheKey, cachePut } from './object-cache.js';
import { checkNesting } from './nesting.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from './object-spec.js';
import { describeProgram, rewriterNamingRules } from './program-naming.js';
import { readTracepointFormat, referencedTracepoints, tracepointStruct } from './tracepoint-structs.js';
import { toolchain } from './toolchain.js';
import type { TypeLayout } from './type-layout.js';
import { undeclaredIdentifiers, uapiDefinesFor } from './uapi-defs.js';

/**
 * Names the rewriter's generated code (native/compiler/bcc/) adds to a program's text: roots of
 * its first kernel header, so that code generation can use the header the rewrite parsed (no
 * second closure and dump of the BTF) for the usual rewrites; a rewrite naming others still
 * widens the header (useSubset).
 */
const REWRITER_NAMES = [
  'BPF_ANY',
  'BPF_NOEXIST',
  'BPF_F_CURRENT_CPU',
  'CUR_CPU_IDENTIFIER',
  'bpf_map_lookup_elem',
  'bpf_map_update_elem',
  'bpf_map_delete_elem',
  'bpf_perf_event_output',
  'bpf_ringbuf_output',
  'bpf_probe_read_kernel',
  '_key',
  '_leaf',
  '_zleaf',
  '_base',
  '_val',
  'key_size',
  'value_size',
  'value',
  'footer',
  'bcc',
  'typeof',
  '__auto_type',
  'noinline',
];
/** Names tsbcc generates that no kernel type has (the widening check skips them). */
const GENERATED_NAME = /^(?:__tsbcc_|__builtin_)/;

/** Options of the BCC-C compile. */
export interface BccCompileOptions {
  cflags?: string[];
  /** Emit line info (BTF .BTF.ext); default true. */
  debugInfo?: boolean;
  /** Bypass the on-disk object cache (neither read nor written). */
  noCache?: boolean;
  /** Cache directory; default cacheDir(). */
  cacheDir?: string;
  /** Kernel BTF to take types from; default /sys/kernel/btf/vmlinux. */
  btfPath?: string;
  /** Also produce the LLVM IR (`ObjectSpec.llvmIr`); implies noCache. */
  emitLlvm?: boolean;
  /** USDT probes to enable: their argument readers are generated for bpf_usdt_readarg*. */
  usdt?: UsdtContext[];
  /**
   * tracefs root for tracepoint format files; null: none (structs then come from BTF's
   * trace_event_raw_* types); default: found or mounted.
   */
  tracefs?: string | null;
  /**
   * Which kernel header: `full` (every BTF type, precompiled once per kernel), or `subset`
   * (only the types the program reaches, as text; the full one when that is not enough);
   * `auto` (default) is `subset`.
   */
  kernelHeader?: 'auto' | 'subset' | 'full';
}

let addonId: string | undefined;
/** Identifies the built addon (its rewriter changes the output): size and mtime of the binary. */
function addonIdentity(): string {
  if (addonId) return addonId;
  try {
    const st = statSync(join(packageRoot(), 'build', 'Release', 'tsbcc.node'));
    addonId = `${st.size}:${st.mtimeMs}`;
  } catch {
    addonId = 'unknown';
  }
  return addonId;
}

/** Footer appended to every program (license section). */
const FOOTER = '\n#include <bcc/footer.h>\n';

function checkCflags(cflags: string[], source: UserSource): void {
  for (let i = 0; i < cflags.length; i++) {
    const f = cflags[i] ?? '';
    const def = f === '-D' ? (cflags[i + 1] ?? '') : f.startsWith('-D') ? f.slice(2) : undefined;
    if (def !== undefined && /^BPF_LICENSE(=|$)/.test(def)) {
      throw new CompileError([
        {
          severity: 'error',
          message:
            'BPF_LICENSE cannot be specified through cflags: #define BPF_LICENSE in the program instead',
          file: source.displayName,
          line: 0,
          column: 0,
        },
      ]);
    }
  }
}

/**
 * The program's own headers, for the cache key: every `#include "..."` it reaches (nested ones
 * too), looked up as clang does: next to the including file, then in the -I directories.
 */
function localHeaders(text: string, dir: string | undefined, cflags: string[]): string[] {
  const searchDirs = cflags.flatMap((f, i) =>
    f === '-I' ? [cflags[i + 1] ?? ''] : f.startsWith('-I') ? [f.slice(2)] : [],
  );
  const out: string[] = [];
  const seen = new Set<string>();
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const visit = (body: string, from: string | undefined, depth: number): void => {
    for (const m of body.matchAll(/#\s*include\s*"([^"]+)"/g)) {
      const name = m[1] ?? '';
      let found: { path: string; contents?: string } | undefined;
      for (const d of [from, ...searchDirs]) {
        if (d === undefined) continue;
        const path = resolve(d, name);
        if (seen.has(path)) found = { path };
        else {
          const contents = read(path);
          if (contents !== undefined) found = { path, contents };
        }
        if (found) break;
      }
      if (!found) {
        out.push(name, '<missing>');
        continue;
      }
      const { path, contents } = found;
      if (contents === undefined) continue; // already in the key
      seen.add(path);
      out.push(path, contents);
      if (depth < 16) visit(contents, dirname(path), depth + 1);
    }
  };
  visit(text, dir, 0);
  return out;
}

async function dialectHeadersText(): Promise<string> {
  const inc = join(toolchain().tsbccInclude, 'bcc');
  const names = ['helpers.h', 'proto.h', 'footer.h', 'kernel_defs.h', 'uapi_defs.h'];
  return (await Promise.all(names.map((n) => fileIdentity(join(inc, n))))).join('\0');
}

function syntheticInt(size: number, signed: boolean): TypeLayout {
  const name =
    size === 4 ? (signed ? 'int' : 'unsigned int') : size === 8 ? 'unsigned long long' : 'unsigned char';
  return { kind: 'int', name, size, signed };
}

function mapSpecs(maps: NativeBccMap[], described: MapSpec[], btf: Btf | undefined): MapSpec[] {
  return maps.map((m) => {
    const d = described.find((x) => x.name === m.name);
    const spec: MapSpec = {
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      btfKeyTypeId: d?.btfKeyTypeId ?? 0,
      btfValueTypeId: d?.btfValueTypeId ?? 0,
      kind: m.kind,
      line: m.line,
    };
    if (m.pinPath) spec.pinPath = m.pinPath;
    if (m.inner) spec.innerMap = m.inner;
    if (m.isExtern) spec.extern = true;
    if (m.isShared) spec.shared = true;
    if (btf && spec.btfKeyTypeId) spec.key = btf.layout(spec.btfKeyTypeId);
    else if (m.keySize === 4) spec.key = syntheticInt(4, true);
    if (btf && spec.btfValueTypeId) spec.value = btf.layout(spec.btfValueTypeId);
    else if (m.valueSize === 4) spec.value = syntheticInt(4, false);
    if (spec.key) spec.keyDesc = bccTypeDesc(spec.key);
    if (spec.value) spec.valueDesc = bccTypeDesc(spec.value);
    return spec;
  });
}

/**
 * Compiles BCC-C text.
 * @throws CompileError with diagnostics in the user's coordinates.
 */
export async function compileBcc(
  source: UserSource,
  name: string,
  includeDir: string | undefined,
  opts: BccCompileOptions,
  describeElf: (
    elf: Buffer,
    name: string,
    opts: { bcc: boolean },
  ) => { programs: ProgramSpec[]; maps: MapSpec[] },
): Promise<ObjectSpec> {
  const cflags = [...(opts.cflags ?? [])];
  checkCflags(cflags, source);
  const dir = opts.cacheDir ?? cacheDir();
  const btfPath = opts.btfPath ?? VMLINUX_BTF;
  const base = bccBaseArgs({ debugInfo: opts.debugInfo });
  const facts = machineFacts();

  const place = await kernelHeaderPlace(dir, base, btfPath);
  let full: Promise<KernelHeader> | undefined;
  /** The full kernel header and its PCH, built on first need. */
  const fullHeader = (): Promise<KernelHeader> => (full ??= kernelHeader(dir, base, btfPath));
  const tracepoints = referencedTracepoints(source.text);
  let tpHeader = '';
  if (tracepoints.length > 0) {
    const tracefs = opts.tracefs !== undefined ? (opts.tracefs ?? undefined) : await ensureTracefs();
    const parts: string[] = [];
    const missing: Diagnostic[] = [];
    let btfText: string | undefined;
    for (const tp of tracepoints) {
      const fmt = tracefs ? await readTracepointFormat(tracefs, tp) : undefined;
      if (fmt) {
        parts.push(tracepointStruct(tp, fmt));
        continue;
      }
      // no format file: the kernel's own record type from BTF, its fields inlined
      btfText ??= await readFile(join(dirname((await fullHeader()).header), 'vmlinux.h'), 'utf8').catch(
        () => '',
      );
      if (btfText.includes(`struct trace_event_raw_${tp.event} {`)) {
        parts.push(`struct tracepoint__${tp.category}__${tp.event} { struct trace_event_raw_${tp.event}; };`);
        continue;
      }
      const d: Diagnostic = {
        severity: 'error',
        message: tracefs
          ? `no tracepoint ${tp.category}:${tp.event} on this kernel (tracefs has no events/${tp.category}/${tp.event}/format)`
          : `tracepoint ${tp.category}:${tp.event} is not in the kernel's BTF and tracefs is not available`,
        file: source.displayName,
        line: tp.line ?? 0,
        column: tp.column ?? 0,
      };
      const text = source.text.split('\n')[(tp.line ?? 0) - 1];
      if (text !== undefined && d.line > 0) d.sourceLine = text;
      missing.push(d);
    }
    if (missing.length > 0) throw new CompileError(missing);
    tpHeader = `#pragma once\n${parts.join('\n')}\n`;
  }

  const usdt = opts.usdt?.length ? await resolveUsdt(opts.usdt) : undefined;
  const locals = localHeaders(source.text, includeDir, cflags);
  const key =
    opts.noCache || opts.emitLlvm
      ? undefined
      : cacheKey([
          'bcc-v1',
          source.text,
          source.displayName,
          name,
          JSON.stringify(cflags),
          includeDir ?? '',
          ...locals,
          usdt ? usdt.header + JSON.stringify(usdt.specs) : '',
          await dialectHeadersText(),
          tpHeader,
          place.key,
          native().clangVersion,
          addonIdentity(),
          JSON.stringify(facts),
          String(opts.debugInfo ?? true),
        ]);
  if (key) {
    const hit = await cacheGet(dir, key);
    if (hit) {
      logger().debug(`compile cache hit for ${name} (${key})`);
      return hit;
    }
  }

  checkNesting(source);
  const files = tpHeader ? [{ path: TRACEPOINT_HEADER, contents: tpHeader }] : [];
  if (usdt) files.push({ path: USDT_HEADER, contents: usdt.header });
  const sources = [source];
  // the UAPI constants the program (its text, its own headers, its cflags) names
  let uapi = uapiDefinesFor([source.text, ...locals, cflags.join(' ')]);
  const attempt = async (kernelUse: KernelUse, undefs: string[]): Promise<Attempt> => {
    const args = [
      ...base,
      ...cflags,
      ...bccIncludeArgs(
        kernelUse.header,
        includeDir,
        tpHeader !== '',
        usdt !== undefined,
        undefs.length > 0,
        uapi.header !== '',
      ),
    ];
    const all = [...kernelUse.files, ...files];
    if (uapi.header) all.push({ path: UAPI_HEADER, contents: uapi.header });
    if (undefs.length)
      all.push({ path: UNDEFS_HEADER, contents: undefs.map((u) => `#undef ${u}\n`).join('') });
    const rw = await native().bccRewrite({
      args,
      mainPath: source.virtualPath,
      mainSource: source.text,
      files: all,
      stubDirs: [KERNEL_STUB_DIR],
      ...facts,
      ...rewriterNamingRules(),
    });
    return { args, files: all, rw };
  };
  const pchUse = (h: KernelHeader): KernelUse => ({ header: { pch: h.pch }, files: [], full: h });

  // rewrite, then generate code, against one kernel header
  const translate = async (kernelUse: KernelUse) => {
    let current = await attempt(kernelUse, []);
    if (!current.rw.ok) {
      // a constant the program builds by token pasting (`O_##x`) is not spelled in its text
      const wider = uapiDefinesFor(
        [],
        [...uapi.names, ...undeclaredIdentifiers(current.rw.diagnostics.map((d) => d.message))],
      );
      if (wider.names.length > uapi.names.length) {
        uapi = wider;
        current = await attempt(kernelUse, []);
      }
    }
    const fullHeader = kernelUse.full;
    if (!current.rw.ok && fullHeader)
      current = await retryWithoutCollisions(
        current,
        (h, u) => attempt(pchUse(h), u),
        fullHeader,
        base,
        sources,
      );
    const { args, rw } = current;
    const rwFiles = current.files;
    const rwDiags = toDiagnostics(rw.diagnostics, sources).map(explainTableMember);
    if (!rw.ok) throw new CompileError(rwDiags);

    // Event structs live in locals, which BTF does not describe: an unused, kept subprogram
    // taking each one brings it into the object's BTF (libbpf never loads unreferenced .text).
    const anchors = rw.events
      .filter((e) => e.type !== '')
      .map((e) => `static __attribute__((used, noinline)) void __tsbcc_event_${e.map}(${e.type} *e) {}\n`)
      .join('');
    const rewritten = rw.output + FOOTER + anchors;
    // a subset header gets the kernel names the rewriter's code adds (BPF_NOEXIST, ...)
    const cgFiles = kernelUse.widen ? await kernelUse.widen(rewritten, rwFiles) : rwFiles;
    const cg = await native().clangCompile({
      args,
      mainPath: source.virtualPath,
      mainSource: rewritten,
      files: cgFiles,
      stubDirs: [KERNEL_STUB_DIR],
      emit: 'obj',
      core: rw.coreReads > 0 || /preserve_access_index|bpf_core_|BPF_CORE_/.test(source.text),
    });
    const cgDiags = codegenDiagnostics(cg.diagnostics, source, rewritten, rwDiags).map(explainUsdtReader);
    if (!cg.ok) throw new CompileError(cgDiags, 'the rewritten program does not compile');
    return { args, rwFiles: cgFiles, rw, rewritten, cg, diagnostics: mergeDiagnostics(rwDiags, cgDiags) };
  };

  // Only the types the program reaches, as text (no PCH: parsing them costs less time and
  // memory than loading the full PCH, and nothing is built on first use; cached on disk by the
  // identifiers of the texts); types a failed attempt shows missing are added (twice at most),
  // then the full header.
  const useSubset = async (): Promise<Awaited<ReturnType<typeof translate>> | undefined> => {
    const texts = [source.text, ...locals, cflags.join(' '), tpHeader, usdt?.header ?? ''];
    let more: string[] = [];
    for (let round = 0; ; round++) {
      const sub = await subsetHeader(
        btfPath,
        place.dir,
        texts,
        [...REWRITER_NAMES, ...more],
        addonIdentity(),
      );
      const roots = sub.roots;
      const widen = async (rewritten: string, files: VirtualFile[]): Promise<VirtualFile[]> => {
        const known = new Set(roots);
        if ([...identifiers(rewritten)].every((id) => known.has(id) || GENERATED_NAME.test(id))) {
          // code generation is the compile's peak of memory: the parsed BTF is not needed there
          native().btfRelease();
          return files;
        }
        const wider = await subsetHeader(btfPath, place.dir, [rewritten], roots, addonIdentity());
        // code generation is the compile's peak of memory: the parsed BTF is not needed there
        native().btfRelease();
        return [...wider.files, ...files.filter((f) => !wider.files.some((w) => w.path === f.path))];
      };
      try {
        return await translate({
          header: { include: sub.path },
          files: sub.files,
          widen,
        });
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        const missing = missingTypes(e.diagnostics.map((d) => d.message)).filter((n) => !roots.includes(n));
        if (round >= 2 || missing.length === 0) {
          logger().debug(
            `${name}: the kernel header of its ${sub.types} types is not enough; using the full one`,
          );
          return undefined;
        }
        logger().debug(`${name}: adding ${missing.join(', ')} to its kernel header`);
        more = [...more, ...missing].sort();
      }
    }
  };
  const choice = opts.kernelHeader ?? 'auto';
  const subsetFirst = choice !== 'full';
  const result =
    (subsetFirst ? await useSubset() : undefined) ?? (await translate(pchUse(await fullHeader())));
  const { args, rwFiles, rw, rewritten, diagnostics } = result;
  const cg = result.cg;
  let llvmIr: string | undefined;
  if (opts.emitLlvm) {
    const ir = await native().clangCompile({
      args,
      mainPath: source.virtualPath,
      mainSource: rewritten,
      files: rwFiles,
      stubDirs: [KERNEL_STUB_DIR],
      emit: 'llvm',
      core: true,
    });
    llvmIr = ir.output;
  }

  const described = describeElf(cg.output, name, { bcc: true });
  const programs: ProgramSpec[] = rw.programs.map((p) => {
    const d =
      described.programs.find((x) => x.name === p.name) ??
      describeProgram({ ...p, insnCount: 0, type: 0, expectedAttachType: 0 }, true);
    return { ...d, line: p.line };
  });
  const btf = objectBtf(cg.output);
  const events: Record<string, TypeLayout> = {};
  const eventFields: Record<string, string[]> = {};
  for (const e of rw.events) {
    eventFields[e.map] = e.fields;
    // a local or anonymous struct is anchored by a static variable (table_methods.cc)
    const id = (e.type ? btf?.findByName(e.type) : btf?.varType(`__tsbcc_event_${e.map}`)) ?? 0;
    if (btf && id) events[e.map] = btf.layout(id);
  }
  const spec: ObjectSpec = {
    name,
    elf: cg.output,
    programs,
    maps: mapSpecs(rw.maps, described.maps, btf),
    diagnostics,
    events,
    eventFields,
    dialect: 'bcc',
    rewrittenSource: rewritten,
    userSource: { file: source.displayName, text: source.text, path: source.virtualPath },
  };
  if (usdt) spec.usdt = usdt.specs;
  if (llvmIr !== undefined) spec.llvmIr = llvmIr;
  if (key) await cachePut(dir, key, spec);
  return spec;
}

type Attempt = { args: string[]; files: { path: string; contents: string }[]; rw: NativeBccRewriteResult };

/** The kernel header a compile uses: the full one's PCH, or a program's subset as text. */
interface KernelUse {
  header: { pch: string } | { include: string };
  /** Virtual files it needs (the subset header's text). */
  files: { path: string; contents: string }[];
  /** The full header (a program's own definitions are then retried with renamed kernel names). */
  full?: KernelHeader;
  /** The files for code generation, given the rewritten text (a subset header widened). */
  widen?: (rewritten: string, files: VirtualFile[]) => Promise<VirtualFile[]>;
}

type VirtualFile = { path: string; contents: string };

function errorCount(rw: NativeBccRewriteResult): number {
  return rw.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal').length;
}

/**
 * A program that brings its own definitions of kernel names, or uses names our compat macros
 * take (collisions.ts): compiled again with those kernel names renamed and those macros
 * undefined, up to three rounds. Returns the attempt with the fewest errors (the first on a tie,
 * so a plain mistake keeps its first diagnostics).
 */
async function retryWithoutCollisions(
  first: Attempt,
  attempt: (header: KernelHeader, undefs: string[]) => Promise<Attempt>,
  kernel: KernelHeader,
  base: string[],
  sources: UserSource[],
): Promise<Attempt> {
  const kernelDir = dirname(kernel.header);
  const macroFiles = [join(kernelDir, 'kernel_defs.h'), UAPI_HEADER];
  const renames = new Set<string>();
  const undefs = new Set<string>();
  let best = first;
  let last = first;
  for (let round = 0; round < 3 && !last.rw.ok; round++) {
    const kernelFiles = [join(kernelDir, 'vmlinux.h')];
    if (renames.size) kernelFiles.push(join(dirname((await variantOf([...renames])).header), 'vmlinux.h'));
    const found = findCollisions(last.rw.diagnostics, sources, kernelFiles, macroFiles);
    const before = renames.size + undefs.size;
    for (const n of found.renames) renames.add(n);
    for (const n of found.undefs) undefs.add(n);
    if (renames.size + undefs.size === before) break;
    logger().debug(
      `recompiling ${sources[0]?.displayName ?? ''} with its own definitions of ${[...renames, ...undefs].join(', ')}`,
    );
    last = await attempt(await variantOf([...renames].sort()), [...undefs].sort());
    if (last.rw.ok || errorCount(last.rw) < errorCount(best.rw)) best = last;
  }
  return best;

  function variantOf(names: string[]): Promise<KernelHeader> {
    return kernelHeaderVariant(kernel, names, base);
  }
}

/**
 * Diagnostics of the codegen pass: positions are already the user's lines (the rewrite keeps
 * lines); the source line shown is the user's, and a note says when it was rewritten.
 */
function codegenDiagnostics(
  diags: NativeDiagnostic[],
  source: UserSource,
  rewritten: string,
  already: Diagnostic[],
): Diagnostic[] {
  const out = toDiagnostics(diags, [source]);
  const rwLines = rewritten.split('\n');
  const userLines = source.text.split('\n');
  for (const d of out) {
    if (d.file !== source.displayName || d.line <= 0) continue;
    const r = rwLines[d.line - 1];
    const u = userLines[d.line - 1];
    if (r !== undefined && u !== undefined && r !== u) {
      // The column points into rewritten text: clamp it to the user's line.
      d.column = Math.min(d.column, u.length + 1);
      d.message += ' (in code the BCC rewriter generated for this line)';
    }
  }
  return out.filter((d) => !already.some((a) => a.message === d.message && a.line === d.line));
}

/** clang's "no member named 'm' in 'struct x_table_t'" said in the dialect's terms. */
function explainTableMember(d: Diagnostic): Diagnostic {
  const m = /^no member named '(\w+)' in 'struct (\w+)_table_t'$/.exec(d.message);
  if (!m) return d;
  return { ...d, message: `invalid bpf_table operation ${m[1]}: map ${m[2]} has no method ${m[1]}` };
}

/**
 * `bpf_usdt_readarg*()` in a handler no USDT probe was enabled for calls a reader that was
 * never generated: say so, and how to enable one.
 */
function explainUsdtReader(d: Diagnostic): Diagnostic {
  const m = /^call to undeclared function '_bpf_readarg_(\w+)_(\d+)'/.exec(d.message);
  if (!m) return d;
  const fn = m[1] ?? '';
  return {
    ...d,
    message: `bpf_usdt_readarg(${m[2]}, ...) in ${fn}: no USDT probe is enabled for ${fn} (no reader _bpf_readarg_${fn}_${m[2]}); enable one with --usdt PATH@[provider:]name=${fn} (tsbcc compile/check) or the usdt option (compile, BPF.create)`,
  };
}

function mergeDiagnostics(a: Diagnostic[], b: Diagnostic[]): Diagnostic[] {
  return [...a, ...b];
}
