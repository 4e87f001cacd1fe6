/**
 * Programs that bring their own definitions. BCC gives a program only the kernel headers it
 * includes, so a program may define its own `struct sock`, an enumerator or a typedef the
 * kernel also has, or use a name that one of our compat macros takes (`min` as a function, a
 * field called `sk_daddr`). tsbcc's kernel header has every BTF type and macro; when the
 * rewrite pass fails on such a collision, the colliding kernel types are renamed in a variant
 * of the kernel header (precompiled once per set of names) and the colliding macros are
 * undefined before the program, and the program is compiled again. Nothing of this runs for a
 * program that compiles the first time.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NativeDiagnostic } from '../../native/index.js';
import type { UserSource } from './diagnostics.js';
import { precompileHeader, type KernelHeader } from './kernel-header.js';

/** What to change so that a program's own definitions win. */
export interface Collisions {
  /** Kernel types, enumerators or typedefs to rename in the kernel header. */
  renames: string[];
  /** Macros of the compat headers to #undef before the program. */
  undefs: string[];
}

/** The prefix renamed kernel names get. */
export const RENAMED_PREFIX = '__tsbcc_kernel_';

const REDEFINITION = [
  /^redefinition of (?:enumerator )?'(\w+)'$/,
  /^nested redefinition of '(\w+)'$/,
  /^use of '(\w+)' with tag type that does not match previous declaration$/,
  /^typedef redefinition with different types/,
];

function identifierAt(text: string, line: number, column: number): string | undefined {
  const l = text.split('\n')[line - 1];
  if (l === undefined) return undefined;
  return /^[A-Za-z_]\w*/.exec(l.slice(Math.max(0, column - 1)))?.[0];
}

/**
 * The collisions a failed rewrite's diagnostics show: a redefinition whose previous definition
 * is in the kernel header's BTF types, and errors in the user's files located in the expansion
 * of one of our compat macros.
 * @param kernelFiles the generated kernel type header(s) (vmlinux.h)
 * @param macroFiles the compat headers whose macros may be undefined
 */
export function findCollisions(
  diags: NativeDiagnostic[],
  sources: UserSource[],
  kernelFiles: string[],
  macroFiles: string[],
): Collisions {
  const renames = new Set<string>();
  const undefs = new Set<string>();
  diags.forEach((d, i) => {
    if (d.severity !== 'error' && d.severity !== 'fatal') return;
    const src = sources.find((s) => s.virtualPath === d.file);
    if (!src) return;
    const next = diags[i + 1];
    const m = REDEFINITION.map((r) => r.exec(d.message)).find((x) => x);
    if (m && next?.severity === 'note' && kernelFiles.includes(next.file)) {
      const name = m[1] ?? identifierAt(src.text, d.line, d.column);
      if (name) renames.add(name);
    }
    for (const entry of d.macros ?? []) {
      const at = entry.indexOf('@');
      const name = entry.slice(0, at);
      if (macroFiles.includes(entry.slice(at + 1))) undefs.add(name);
    }
  });
  return { renames: [...renames].sort(), undefs: [...undefs].sort() };
}

function escape(name: string): string {
  return name.replace(/[^\w]/g, '');
}

/**
 * The kernel type header with `names` renamed (prefixed with RENAMED_PREFIX) wherever they are
 * a struct/union/enum tag, an enumerator or a typedef, so that a program's definitions of
 * those names are the only ones. Kernel types embedding a renamed one keep compiling.
 */
export function renameKernelNames(vmlinux: string, names: string[]): string {
  let out = vmlinux;
  for (const raw of names) {
    const n = escape(raw);
    out = out.replace(new RegExp(`\\b(struct|union|enum) ${n}\\b`, 'g'), `$1 ${RENAMED_PREFIX}${n}`);
    out = out.replace(new RegExp(`^(\\t+)${n} = `, 'gm'), `$1${RENAMED_PREFIX}${n} = `);
    if (new RegExp(`^typedef [^;]*\\b${n};`, 'm').test(out))
      out = out.replace(new RegExp(`(?<!(?:struct|union|enum) )\\b${n}\\b`, 'g'), `${RENAMED_PREFIX}${n}`);
  }
  return out;
}

const pending = new Map<string, Promise<KernelHeader>>();

/**
 * The kernel header with `renames` renamed, precompiled next to the kernel header (once per
 * set of names; concurrent calls share one build).
 * @throws CompileError when the renamed header does not compile.
 */
export async function kernelHeaderVariant(
  kernel: KernelHeader,
  renames: string[],
  baseArgs: string[],
): Promise<KernelHeader> {
  if (renames.length === 0) return kernel;
  const id = createHash('sha256').update(renames.join('\0')).digest('hex').slice(0, 16);
  const dir = join(dirname(kernel.header), 'variants', id);
  const key = `${kernel.key}+${id}`;
  let p = pending.get(key);
  if (!p) {
    p = (async () => {
      const header = join(dir, 'kernel.h');
      const pch = join(dir, 'kernel.h.pch');
      if (existsSync(pch) && existsSync(header)) return { header, pch, key };
      await mkdir(dir, { recursive: true });
      const base = dirname(kernel.header);
      const vmlinux = await readFile(join(base, 'vmlinux.h'), 'utf8');
      const renamed = join(dir, 'vmlinux.h');
      await writeFile(renamed, renameKernelNames(vmlinux, renames));
      const text = (await readFile(kernel.header, 'utf8')).replace(join(base, 'vmlinux.h'), renamed);
      await precompileHeader(
        header,
        text,
        pch,
        baseArgs,
        `the kernel header with ${renames.join(', ')} renamed`,
      );
      return { header, pch, key };
    })();
    pending.set(key, p);
    p.catch(() => pending.delete(key));
  }
  return p;
}
