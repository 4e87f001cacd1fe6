/**
 * The full kernel type header from BTF (DESIGN D1), precompiled once per kernel (D2), for
 * programs their own subset header (kernel-subset.ts) does not serve, or `kernelHeader: 'full'`:
 * the text of
 * every BTF type, our header of kernel macros BTF cannot carry (filtered by what this kernel's
 * BTF has), and libbpf's helper prototypes, as one PCH in the cache directory, keyed by the BTF,
 * our headers and clang. The UAPI headers' constants are not in it: each program gets the ones
 * it names (uapi-defs.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, utimesSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { release, version } from 'node:os';
import { dirname, join } from 'node:path';
import { CompileError, TsbccError, fromNative } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { toDiagnostics } from './diagnostics.js';
import { toolchain } from './toolchain.js';

/** The running kernel's BTF. */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
/** libbpf's generated helper prototypes (libbpf-dev). */
export const LIBBPF_HELPER_DEFS = '/usr/include/bpf/bpf_helper_defs.h';

/** A prepared kernel header. */
export interface KernelHeader {
  /** The header to include (text of the PCH's source). */
  header: string;
  /** The precompiled form, for `-include-pch`. */
  pch: string;
  /** Hash of everything the header depends on (part of the object cache key). */
  key: string;
}

const pending = new Map<string, Promise<KernelHeader>>();
const btfKeys = new Map<string, { size: number; mtime: number; hash: string }>();

/**
 * Identifies a BTF file cheaply: the running kernel's release and build string with the
 * file's size and mtime (the BTF of one kernel build never changes; hashing its ~6 MB would
 * cost every process tens of milliseconds).
 */
export async function btfHash(path = VMLINUX_BTF): Promise<string> {
  // metadata calls here and below are synchronous: each is microseconds, while an awaited one
  // costs a thread-pool round trip, and a cached compile makes a dozen of them in sequence
  return btfHashSync(path);
}

/** {@link btfHash} for synchronous callers (a load). @throws Error when the file cannot be stat'ed. */
export function btfHashSync(path = VMLINUX_BTF): string {
  const st = statSync(path);
  const known = btfKeys.get(path);
  if (known && known.size === st.size && known.mtime === st.mtimeMs) return known.hash;
  const hash = createHash('sha256')
    .update(`${path}\0${release()}\0${version()}\0${st.size}\0${st.mtimeMs}`)
    .digest('hex');
  btfKeys.set(path, { size: st.size, mtime: st.mtimeMs, hash });
  return hash;
}

/** A file's identity for cache keys: path, size and mtime (no read). */
export async function fileIdentity(path: string): Promise<string> {
  try {
    const st = statSync(path);
    return `${path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return `${path}:missing`;
  }
}

/** Where a kernel's full header lives in the cache, and its key. */
export interface KernelHeaderPlace {
  /** Hash of everything the header depends on (part of the object cache key). */
  key: string;
  /** Its directory: `<cache>/kernel/<key>`. */
  dir: string;
}

/**
 * The key and directory of the kernel header for the BTF at `btfPath` (nothing is built).
 * @throws TsbccError when the BTF cannot be read.
 */
export async function kernelHeaderPlace(
  dir: string,
  baseArgs: string[],
  btfPath = VMLINUX_BTF,
): Promise<KernelHeaderPlace> {
  const defsPath = join(toolchain().tsbccInclude, 'bcc', 'kernel_defs.h');
  let btf: string;
  try {
    btf = await btfHash(btfPath);
  } catch (e) {
    throw new TsbccError(`cannot read the kernel's BTF at ${btfPath}: ${(e as Error).message}`, 'ENOENT', {
      cause: e,
    });
  }
  const h = createHash('sha256')
    .update(btf)
    .update(await fileIdentity(defsPath))
    .update(await fileIdentity(LIBBPF_HELPER_DEFS))
    .update(native().clangVersion)
    .update(JSON.stringify(baseArgs))
    .update('no-blanket-core');
  const key = h.digest('hex').slice(0, 24);
  return { key, dir: join(dir, 'kernel', key) };
}

/** Whether the full kernel header and its PCH are built at `place`. */
export function kernelHeaderReady(place: KernelHeaderPlace): boolean {
  return existsSync(join(place.dir, 'kernel.h.pch')) && existsSync(join(place.dir, 'kernel.h'));
}

/**
 * Ensures the kernel header and its PCH exist for the BTF at `btfPath`, building them when
 * missing. Concurrent calls share one build.
 * @param baseArgs cc1 arguments the PCH must share with every compile that uses it.
 * @throws TsbccError when the BTF cannot be read; CompileError when the header does not compile.
 */
export async function kernelHeader(
  dir: string,
  baseArgs: string[],
  btfPath = VMLINUX_BTF,
): Promise<KernelHeader> {
  const defsPath = join(toolchain().tsbccInclude, 'bcc', 'kernel_defs.h');
  const { key, dir: kdir } = await kernelHeaderPlace(dir, baseArgs, btfPath);
  let p = pending.get(key);
  if (!p) {
    p = build(kdir, key, btfPath, { defs: defsPath }, baseArgs);
    pending.set(key, p);
    p.catch(() => pending.delete(key));
  }
  return p;
}

/**
 * Writes a header and precompiles it (PCH written to a temporary name, then renamed, so readers
 * never see half a file).
 * @throws CompileError naming `what` when the header does not compile.
 */
export async function precompileHeader(
  header: string,
  text: string,
  pch: string,
  baseArgs: string[],
  what: string,
): Promise<void> {
  await writeAtomic(header, text);
  const tmp = `${pch}.${process.pid}.tmp`;
  const res = await native().clangCompile({
    args: [...baseArgs, '-x', 'c-header'],
    mainPath: header,
    mainSource: text,
    emit: 'pch',
    outputPath: tmp,
  });
  if (!res.ok) {
    await rm(tmp, { force: true });
    throw new CompileError(toDiagnostics(res.diagnostics, []), `${what} does not compile`);
  }
  await rename(tmp, pch);
}

/** Removes kernel headers of other keys not used for an hour (other kernels, older tsbcc). */
async function pruneOld(kernelDir: string, keep: string): Promise<void> {
  try {
    for (const name of await readdir(kernelDir)) {
      if (name === keep) continue;
      const p = join(kernelDir, name);
      const st = await stat(p);
      if (Date.now() - st.mtimeMs > 3600_000) await rm(p, { recursive: true, force: true });
    }
  } catch (e) {
    logger().debug(`pruning old kernel headers in ${kernelDir}: ${(e as Error).message}`);
  }
}

/** The facts a `/* btf: ... *\/` line comment of kernel_defs.h names. */
const FACT_LINE = /\/\* btf: ([^*]+?) \*\/\s*$/;

/**
 * kernel_defs.h with every line whose BTF facts this kernel lacks commented out (line count
 * kept, so diagnostics keep pointing at the maintained header's lines), given the facts' answers.
 */
export function filterKernelDefs(text: string, has: (fact: string) => boolean): string {
  return text
    .split('\n')
    .map((line) => {
      const m = FACT_LINE.exec(line);
      if (!m) return line;
      const missing = (m[1] ?? '').split(/\s+/).filter((f) => f && !has(f));
      return missing.length ? `/* not in this kernel's BTF (${missing.join(' ')}) */` : line;
    })
    .join('\n');
}

/** Every fact kernel_defs.h's lines name. */
export function kernelDefsFacts(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = FACT_LINE.exec(line);
    for (const f of (m?.[1] ?? '').split(/\s+/)) if (f) out.add(f);
  }
  return [...out];
}

/** Whether the process that wrote a lock file is gone (or the file is gone or unreadable). */
function lockOwnerGone(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return true;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * Takes `dir/.building` (created exclusively, holding our pid): one process builds a kernel
 * header at a time, so no process reads a header another is writing (clang maps big headers:
 * a file truncated under it is SIGBUS) or a PCH whose header was rewritten after it was made.
 * Returns undefined when the header became ready while waiting; a lock whose process died is
 * taken over.
 */
async function buildLock(dir: string, ready: () => boolean): Promise<(() => Promise<void>) | undefined> {
  const lock = join(dir, '.building');
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (ready()) return undefined;
    if (lockOwnerGone(lock)) await rm(lock, { force: true });
    else await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a file under a private name and renames it into place (readers see all or nothing). */
async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function build(
  dir: string,
  key: string,
  btfPath: string,
  headers: { defs: string },
  baseArgs: string[],
): Promise<KernelHeader> {
  const header = join(dir, 'kernel.h');
  const pch = join(dir, 'kernel.h.pch');
  const ready = (): boolean => existsSync(pch) && existsSync(header);
  if (ready()) {
    // mark it used (pruning removes headers unused for an hour)
    try {
      utimesSync(dir, new Date(), new Date());
    } catch {
      // a read-only cache still serves
    }
    return { header, pch, key };
  }
  await mkdir(dir, { recursive: true });
  const unlock = await buildLock(dir, ready);
  if (!unlock) return { header, pch, key };
  try {
    if (ready()) return { header, pch, key }; // made by the process that held the lock before
    return await buildLocked(dir, key, btfPath, headers, baseArgs, header, pch);
  } finally {
    await unlock();
  }
}

async function buildLocked(
  dir: string,
  key: string,
  btfPath: string,
  headers: { defs: string },
  baseArgs: string[],
  header: string,
  pch: string,
): Promise<KernelHeader> {
  const started = performance.now();
  if (!existsSync(LIBBPF_HELPER_DEFS)) {
    // the helpers' prototypes (bpf_map_lookup_elem, ...): without them no program compiles
    throw new TsbccError(
      `${LIBBPF_HELPER_DEFS} is missing: install libbpf-dev (scripts/bootstrap.sh does)`,
      'ENOENT',
    );
  }
  const defs = readFileSync(headers.defs, 'utf8');
  const facts = kernelDefsFacts(defs);
  let vmlinux: { text: string; facts: boolean[] };
  try {
    vmlinux = native().btfHeader(btfPath, facts);
  } catch (e) {
    throw fromNative(e, `generating the kernel header from ${btfPath}`);
  }
  const known = new Map(facts.map((f, i) => [f, vmlinux.facts[i] === true]));
  await writeAtomic(join(dir, 'vmlinux.h'), vmlinux.text);
  await writeAtomic(
    join(dir, 'kernel_defs.h'),
    filterKernelDefs(defs, (f) => known.get(f) === true),
  );
  const text = [
    '/* tsbcc: kernel types from BTF, constants, helper prototypes (generated) */',
    '#pragma once',
    '/* no blanket CO-RE: the rewriter marks the reads it makes relocatable (BCC-C semantics) */',
    '#define BPF_NO_PRESERVE_ACCESS_INDEX',
    `#include "${join(dir, 'vmlinux.h')}"`,
    `#include "${join(dir, 'kernel_defs.h')}"`,
    '#define bpf_trace_printk __tsbcc_raw_trace_printk',
    `#include "${LIBBPF_HELPER_DEFS}"`,
    '#undef bpf_trace_printk',
    '',
  ].join('\n');
  await precompileHeader(header, text, pch, baseArgs, `the kernel header generated from ${btfPath}`);
  await pruneOld(dirname(dir), key);
  logger().info(`precompiled the kernel header (${key}) in ${Math.round(performance.now() - started)} ms`);
  return { header, pch, key };
}
