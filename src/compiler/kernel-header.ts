/**
 * The kernel's type header from BTF (DESIGN D1), precompiled once per kernel (D2): the text of
 * every BTF type, our header of macro constants BTF cannot carry, and libbpf's helper
 * prototypes, as one PCH in the cache directory, keyed by the BTF, our headers and clang.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync, utimesSync } from 'node:fs';
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
  const tc = toolchain();
  const defsPath = join(tc.tsbccInclude, 'bcc', 'kernel_defs.h');
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
  let p = pending.get(key);
  if (!p) {
    p = build(join(dir, 'kernel', key), key, btfPath, defsPath, baseArgs);
    pending.set(key, p);
    p.catch(() => pending.delete(key));
  }
  return p;
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

async function build(
  dir: string,
  key: string,
  btfPath: string,
  defsPath: string,
  baseArgs: string[],
): Promise<KernelHeader> {
  const header = join(dir, 'kernel.h');
  const pch = join(dir, 'kernel.h.pch');
  if (existsSync(pch) && existsSync(header)) {
    // mark it used (pruning removes headers unused for an hour)
    try {
      utimesSync(dir, new Date(), new Date());
    } catch {
      // a read-only cache still serves
    }
    return { header, pch, key };
  }
  const started = performance.now();
  if (!existsSync(LIBBPF_HELPER_DEFS)) {
    // the helpers' prototypes (bpf_map_lookup_elem, ...): without them no program compiles
    throw new TsbccError(
      `${LIBBPF_HELPER_DEFS} is missing: install libbpf-dev (scripts/bootstrap.sh does)`,
      'ENOENT',
    );
  }
  await mkdir(dir, { recursive: true });
  let vmlinux: string;
  try {
    vmlinux = native().btfHeader(btfPath);
  } catch (e) {
    throw fromNative(e, `generating the kernel header from ${btfPath}`);
  }
  await writeFile(join(dir, 'vmlinux.h'), vmlinux);
  const text = [
    '/* tsbcc: kernel types from BTF, constants, helper prototypes (generated) */',
    '#pragma once',
    '/* no blanket CO-RE: the rewriter marks the reads it makes relocatable (BCC-C semantics) */',
    '#define BPF_NO_PRESERVE_ACCESS_INDEX',
    `#include "${join(dir, 'vmlinux.h')}"`,
    `#include "${defsPath}"`,
    '#define bpf_trace_printk __tsbcc_raw_trace_printk',
    `#include "${LIBBPF_HELPER_DEFS}"`,
    '#undef bpf_trace_printk',
    '',
  ].join('\n');
  await writeFile(header, text);
  const tmp = `${pch}.${process.pid}.tmp`;
  const res = await native().clangCompile({
    args: [...baseArgs, '-x', 'c-header'],
    mainPath: header,
    mainSource: text,
    emit: 'pch',
    outputPath: tmp,
  });
  if (!res.ok) {
    throw new CompileError(
      toDiagnostics(res.diagnostics, []),
      `the kernel header generated from ${btfPath} does not compile`,
    );
  }
  await rename(tmp, pch);
  await pruneOld(dirname(dir), key);
  logger().info(`precompiled the kernel header (${key}) in ${Math.round(performance.now() - started)} ms`);
  return { header, pch, key };
}
