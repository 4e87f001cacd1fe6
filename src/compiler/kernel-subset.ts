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
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { filterKernelDefs, kernelDefsFacts, LIBBPF_HELPER_DEFS } from './kernel-header.js';
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

function loadDialectRoots(): DialectRoots {
  const inc = join(toolchain().tsbccInclude, 'bcc');
  const key = ['kernel_defs.h', 'helpers.h', 'footer.h'].map((n) => join(inc, n)).join('\0');
  if (dialectRoots?.key === key) return dialectRoots.roots;
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
  const roots = { macros, always: [...always], helperTags: [...tags].sort() };
  dialectRoots = { key, roots };
  return roots;
}

/**
 * The roots of a program's kernel header: the identifiers of `texts` (its text, its own
 * headers, generated headers, cflags) and of the dialect headers' declarations, closed over
 * the dialect and kernel_defs.h macros they name (and `more`, roots already known).
 */
export function programRoots(texts: string[], more: string[] = []): string[] {
  const d = loadDialectRoots();
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
}

const subsets = new Map<string, SubsetHeader>();

/**
 * The kernel header of the closure of `roots` (cached in-process by its roots): the BTF
 * subset, kernel_defs.h filtered by this kernel's facts (written once into `kernelDir`, the
 * full header's directory, so diagnostics name the same file), forward declarations of the
 * helpers' struct arguments and libbpf's helper prototypes.
 * @throws TsbccError when the BTF cannot be read.
 */
export async function subsetHeader(
  btfPath: string,
  kernelDir: string,
  roots: string[],
): Promise<SubsetHeader> {
  const id = createHash('sha256').update(btfPath).update('\0').update(kernelDir).update('\0');
  const key = id.update(roots.join('\n')).digest('hex');
  const hit = subsets.get(key);
  if (hit) return hit;
  const defsIn = join(toolchain().tsbccInclude, 'bcc', 'kernel_defs.h');
  const defs = readFileSync(defsIn, 'utf8');
  const defsOut = join(kernelDir, 'kernel_defs.h');
  const facts = existsSync(defsOut) ? [] : kernelDefsFacts(defs);
  let dumped: { text: string; facts: boolean[]; types: number };
  try {
    dumped = native().btfHeader(btfPath, facts, roots);
  } catch (e) {
    throw fromNative(e, `generating the kernel header from ${btfPath}`);
  }
  if (facts.length > 0) {
    const known = new Map(facts.map((f, i) => [f, dumped.facts[i] === true]));
    await mkdir(kernelDir, { recursive: true });
    const tmp = `${defsOut}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      filterKernelDefs(defs, (f) => known.get(f) === true),
    );
    await rename(tmp, defsOut);
  }
  const text = [
    '/* tsbcc: the kernel types this program reaches, from BTF (generated) */',
    '#pragma once',
    '#define BPF_NO_PRESERVE_ACCESS_INDEX',
    `#include "${SUBSET_VMLINUX}"`,
    `#include "${defsOut}"`,
    ...loadDialectRoots().helperTags.map((t) => `${t};`),
    '#define bpf_trace_printk __tsbcc_raw_trace_printk',
    `#include "${LIBBPF_HELPER_DEFS}"`,
    '#undef bpf_trace_printk',
    '',
  ].join('\n');
  const files = [
    { path: SUBSET_HEADER, contents: text },
    { path: SUBSET_VMLINUX, contents: dumped.text },
  ];
  const out = { path: SUBSET_HEADER, files, types: dumped.types };
  subsets.set(key, out);
  return out;
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
