/**
 * The kernel header of one program (first use, DESIGN D1): instead of every BTF type (14.7 MB
 * of C to precompile), only the closure of the types the program can reach. The roots are the
 * identifiers of the program's text (and its own headers, generated tracepoint and USDT
 * headers, cflags), the identifiers of the dialect headers' declarations, and the bodies of
 * the dialect and kernel_defs.h macros those identifiers name; the native dump adds what each
 * type holds by value and the records behind pointer members the program names. The header is
 * included as text (no PCH). A compile that then misses a type gets it added (missingTypes) or
 * falls back to the full header, so diagnostics are never worse than with it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { logger } from '../logger.js';
import { fileIdentity, filterKernelDefs, kernelDefsFacts, LIBBPF_HELPER_DEFS } from './kernel-header.js';
import { toolchain } from './toolchain.js';

/** Where the subset kernel header is visible to clang (a virtual file). */
export const SUBSET_HEADER = '/virtual/tsbcc/generated/kernel.h';
/**
 * Where its BTF types are (a virtual file it includes): named vmlinux.h like the full
 * header's, which is how the rewriter tells kernel records (read with CO-RE) from a program's.
 */
export const SUBSET_VMLINUX = '/virtual/tsbcc/generated/vmlinux.h';

const IDENT = /[A-Za-z_]\w*/g;
const COMMENTS_STRINGS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;

/** The identifiers of C text, without those of comments and string literals. */
export function identifiers(text: string, into = new Set<string>()): Set<string> {
  for (const m of text.replace(COMMENTS_STRINGS, ' ').matchAll(IDENT)) into.add(m[0]);
  return into;
}

/** What the dialect's own headers contribute to every program's roots. */
interface DialectRoots {
  /** Macro name -> the identifiers of its body (kernel_defs.h and helpers.h). */
  macros: Map<string, string[]>;
  /** Identifiers of helpers.h's and footer.h's declarations (always reached). */
  always: string[];
  /** `struct X` / `union X` that bpf_helper_defs.h's prototypes name (forward-declared). */
  helperTags: string[];
}

let dialectRoots: { key: string; roots: DialectRoots } | undefined;

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** `#define NAME body` lines (continuations joined) -> body identifiers; the rest's identifiers. */
function splitMacros(text: string, macros: Map<string, string[]>, rest: Set<string>): void {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)(\([^)]*\))?(.*)$/.exec(line);
    if (m) {
      const body = [...identifiers(m[3] ?? '')];
      macros.set(m[1] ?? '', [...(macros.get(m[1] ?? '') ?? []), ...body]);
    } else if (!/^\s*#/.test(line)) {
      identifiers(line, rest);
    }
  }
}

/** Where the dialect roots of these header versions are stored in `dir` (their identities). */
function dialectRootsFile(dir: string, inc: string): string {
  const h = createHash('sha256').update('dialect-roots-v1');
  for (const n of ['kernel_defs.h', 'helpers.h', 'footer.h']) h.update(`\0${statIdentity(join(inc, n))}`);
  h.update(`\0${statIdentity(LIBBPF_HELPER_DEFS)}`);
  return join(dir, `dialect-roots-${h.digest('hex').slice(0, 24)}.json`);
}

function statIdentity(path: string): string {
  try {
    const st = statSync(path);
    return `${path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return `${path}:missing`;
  }
}

/** The stored form of DialectRoots, or undefined when missing or damaged. */
function readDialectRoots(file: string): DialectRoots | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as {
      macros: [string, string[]][];
      always: string[];
      helperTags: string[];
    };
    if (!Array.isArray(j.macros) || !Array.isArray(j.always) || !Array.isArray(j.helperTags))
      return undefined;
    return { macros: new Map(j.macros), always: j.always, helperTags: j.helperTags };
  } catch {
    return undefined;
  }
}

function writeDialectRoots(file: string, r: DialectRoots): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify({ macros: [...r.macros], always: r.always, helperTags: r.helperTags }));
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    logger().debug(`cannot cache the dialect's roots at ${file}: ${(e as Error).message}`);
  }
}

/**
 * Where the build leaves the dialect headers' roots (scripts/dialect-roots.mjs, run by the
 * bootstrap and build:ts): they depend on the package's headers and libbpf's helper
 * prototypes, not on the kernel, so a first use with an empty cache need not compute them.
 */
export function packagedDialectRootsDir(): string {
  return join(dirname(toolchain().tsbccInclude), 'build');
}

/**
 * The dialect headers' roots: computed from their text (~10-15 ms of CPU in a fresh process,
 * mostly the regular expressions' first runs), or read from `storeIn` (a kernel header's
 * directory) where a previous process left them for these versions of the headers, or from
 * the build's copy (packagedDialectRootsDir) when it was made from these versions.
 */
function loadDialectRoots(storeIn?: string): DialectRoots {
  const inc = join(toolchain().tsbccInclude, 'bcc');
  const key = ['kernel_defs.h', 'helpers.h', 'footer.h'].map((n) => join(inc, n)).join('\0');
  if (dialectRoots?.key === key) return dialectRoots.roots;
  const file = storeIn ? dialectRootsFile(storeIn, inc) : undefined;
  const packaged =
    storeIn === packagedDialectRootsDir() ? undefined : dialectRootsFile(packagedDialectRootsDir(), inc);
  const kept = file ? readDialectRoots(file) : undefined;
  const stored = kept ?? (packaged ? readDialectRoots(packaged) : undefined);
  const roots = stored ?? computeDialectRoots(inc);
  if (file && !kept) writeDialectRoots(file, roots);
  dialectRoots = { key, roots };
  return roots;
}

function computeDialectRoots(inc: string): DialectRoots {
  const macros = new Map<string, string[]>();
  const always = new Set<string>();
  for (const n of ['kernel_defs.h', 'helpers.h', 'footer.h'])
    splitMacros(readOr(join(inc, n)), macros, always);
  // the helpers' prototypes: their typedefs (__u64, __be32, ...) and enums are roots, their
  // struct pointees only need declaring (a root would pull task_struct's whole closure)
  const helpers = readOr(LIBBPF_HELPER_DEFS).replace(COMMENTS_STRINGS, ' ');
  const tags = new Set<string>();
  for (const m of helpers.matchAll(/\b(struct|union|enum)\s+([A-Za-z_]\w*)/g)) {
    if (m[1] === 'enum') always.add(m[2] ?? '');
    else tags.add(`${m[1]} ${m[2]}`);
  }
  for (const m of helpers.matchAll(/(?<!\b(?:struct|union|enum)\s+)\b__\w+/g)) always.add(m[0]);
  return { macros, always: [...always], helperTags: [...tags].sort() };
}

/**
 * The roots of a program's kernel header: the identifiers of `texts` (its text, its own
 * headers, generated headers, cflags) and of the dialect headers' declarations, closed over
 * the dialect and kernel_defs.h macros they name (and `more`, roots already known).
 * @param storeIn a kernel header's directory, where the dialect headers' part is kept for the
 * next process
 */
export function programRoots(texts: string[], more: string[] = [], storeIn?: string): string[] {
  const d = loadDialectRoots(storeIn);
  const out = new Set<string>([...d.always, ...more]);
  for (const t of texts) identifiers(t, out);
  const work = [...out];
  while (work.length > 0) {
    const body = d.macros.get(work.pop() ?? '');
    for (const id of body ?? []) {
      if (!out.has(id)) {
        out.add(id);
        work.push(id);
      }
    }
  }
  return [...out].sort();
}

const MISSING = [
  /^unknown type name '(\w+)'/,
  /^use of undeclared identifier '(\w+)'/,
  /^unknown (?:struct|union|enum) '?(\w+)'?/,
];

/**
 * The kernel names a failed compile against a subset header shows it lacks: tags of
 * incomplete types, unknown type names, undeclared identifiers (an enumerator).
 */
export function missingTypes(messages: string[]): string[] {
  const out = new Set<string>();
  for (const msg of messages) {
    if (/incomplete/.test(msg))
      for (const m of msg.matchAll(/\b(?:struct|union|enum) (\w+)/g)) out.add(m[1] ?? '');
    for (const r of MISSING) {
      const m = r.exec(msg);
      if (m?.[1]) out.add(m[1]);
    }
  }
  return [...out].sort();
}

/** A program's kernel header as text. */
export interface SubsetHeader {
  /** Virtual path to `-include`. */
  path: string;
  /** The virtual files it needs: itself and its types. */
  files: { path: string; contents: string }[];
  /** The number of BTF type ids dumped. */
  types: number;
  /** Its roots (programRoots of the texts it was made for). */
  roots: string[];
}

/** What a subset header's cache entry holds (JSON). */
interface StoredSubset {
  roots: string[];
  types: number;
  text: string;
  /** `struct X` / `union X` the helpers' prototypes name (declared before them). */
  tags: string[];
}

const subsets = new Map<string, SubsetHeader>();

/**
 * The kernel header of a program whose texts (its text, own headers, cflags, generated
 * headers) are `texts`: the closure of programRoots(texts, more). The header depends only on
 * the identifiers of those texts, the BTF and the dialect headers, so it is cached by them:
 * in-process, and on disk as `kernelDir/subsets/KEY.json` (kernelDir's name is the hash of the
 * BTF, kernel_defs.h, libbpf's helper prototypes, clang and its arguments; KEY adds helpers.h,
 * footer.h, `salt` (the addon that dumps) and the identifiers). A new program whose
 * identifiers a cached one had (an edit of numbers, strings, comments, or a tool's
 * substitution of them) skips reading the BTF: ~20-60 ms of CPU. The entry is written under a
 * private name and renamed into place; a damaged one is a miss.
 * @throws TsbccError when the BTF cannot be read.
 */
export async function subsetHeader(
  btfPath: string,
  kernelDir: string,
  texts: string[],
  more: string[] = [],
  salt = '',
): Promise<SubsetHeader> {
  const ids = new Set(more);
  for (const t of texts) identifiers(t, ids);
  const inc = join(toolchain().tsbccInclude, 'bcc');
  const id = createHash('sha256').update(`subset-v1\0${btfPath}\0${kernelDir}\0${salt}\0`);
  for (const n of ['helpers.h', 'footer.h']) id.update(`${await fileIdentity(join(inc, n))}\0`);
  const key = id
    .update([...ids].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);
  const hit = subsets.get(key);
  if (hit) return hit;
  const defsOut = join(kernelDir, 'kernel_defs.h');
  const entry = join(kernelDir, 'subsets', `${key}.json`);
  let stored = existsSync(defsOut) ? readStored(entry) : undefined;
  if (!stored) {
    const roots = programRoots([...ids], [], kernelDir);
    const tags = loadDialectRoots(kernelDir).helperTags;
    stored = { roots, tags, ...(await dumpSubset(btfPath, defsOut, roots)) };
    await writeStored(entry, stored);
  }
  const out = headerOf(stored, defsOut);
  subsets.set(key, out);
  return out;
}

function readStored(entry: string): StoredSubset | undefined {
  try {
    const s = JSON.parse(readFileSync(entry, 'utf8')) as StoredSubset;
    const ok =
      Array.isArray(s.roots) &&
      Array.isArray(s.tags) &&
      typeof s.text === 'string' &&
      typeof s.types === 'number';
    return ok ? s : undefined;
  } catch {
    return undefined;
  }
}

async function writeStored(entry: string, s: StoredSubset): Promise<void> {
  const tmp = `${entry}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(entry), { recursive: true });
    await writeFile(tmp, JSON.stringify(s));
    await rename(tmp, entry);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    logger().debug(`cannot cache a kernel header at ${entry}: ${(e as Error).message}`);
  }
}

/**
 * The BTF closure of `roots` as C, and kernel_defs.h filtered by this kernel's facts (written
 * once into `defsOut`, in the full header's directory, so diagnostics name the same file).
 */
async function dumpSubset(
  btfPath: string,
  defsOut: string,
  roots: string[],
): Promise<{ text: string; types: number }> {
  const defsIn = join(toolchain().tsbccInclude, 'bcc', 'kernel_defs.h');
  const defs = readFileSync(defsIn, 'utf8');
  const facts = existsSync(defsOut) ? [] : kernelDefsFacts(defs);
  let dumped: { text: string; facts: boolean[]; types: number };
  try {
    dumped = native().btfHeader(btfPath, facts, roots);
  } catch (e) {
    throw fromNative(e, `generating the kernel header from ${btfPath}`);
  }
  if (facts.length > 0) {
    const known = new Map(facts.map((f, i) => [f, dumped.facts[i] === true]));
    await mkdir(dirname(defsOut), { recursive: true });
    const tmp = `${defsOut}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      filterKernelDefs(defs, (f) => known.get(f) === true),
    );
    await rename(tmp, defsOut);
  }
  return { text: dumped.text, types: dumped.types };
}

/** The header's virtual files: the types, kernel_defs.h, the helpers' declarations. */
function headerOf(s: StoredSubset, defsOut: string): SubsetHeader {
  const text = [
    '/* tsbcc: the kernel types this program reaches, from BTF (generated) */',
    '#pragma once',
    '#define BPF_NO_PRESERVE_ACCESS_INDEX',
    `#include "${SUBSET_VMLINUX}"`,
    `#include "${defsOut}"`,
    ...s.tags.map((t) => `${t};`),
    '#define bpf_trace_printk __tsbcc_raw_trace_printk',
    `#include "${LIBBPF_HELPER_DEFS}"`,
    '#undef bpf_trace_printk',
    '',
  ].join('\n');
  const files = [
    { path: SUBSET_HEADER, contents: text },
    { path: SUBSET_VMLINUX, contents: s.text },
  ];
  return { path: SUBSET_HEADER, files, types: s.types, roots: s.roots };
}

/** Forgets the subset headers and the parsed BTF (after the last compile in flight). */
export function releaseSubsets(): void {
  subsets.clear();
  try {
    native().btfRelease();
  } catch {
    // no addon: nothing was parsed
  }
}
