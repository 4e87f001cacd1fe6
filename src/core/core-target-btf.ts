/**
 * The BTF libbpf relocates an object's CO-RE accesses against at load: instead of the kernel's
 * (~5 MB, parsed again by libbpf for every object loaded), the few types the relocations can
 * reach (native `coreTargetBtf`), cut once per kernel and set of relocation roots and kept in
 * the cache directory. Used only where the result is the kernel's own: relocations of fields
 * and enumerators (which never look behind a pointer), roots the kernel's BTF has.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { Btf, elfSection } from '../compiler/btf-layout.js';
import { cacheDir } from '../compiler/cache-dir.js';
import { VMLINUX_BTF, btfHashSync } from '../compiler/kernel-header.js';

/** libbpf's bpf_core_relo_kind values this file's BTF answers as the kernel's would. */
const FIELD_KINDS = new Set([0, 1, 2, 3, 4, 5]); // byte offset, byte size, exists, signed, lshift, rshift
const TYPE_ID_LOCAL = 6; // answered from the object's own BTF, no candidate search
const ENUMVAL_KINDS = new Set([10, 11]); // enumerator exists, value

/** Objects (by ELF identity) already answered in this process. */
const known = new WeakMap<Buffer, string | null>();

/**
 * The "KIND:NAME" roots of the CO-RE relocations in an ELF's `.BTF.ext`; `[]` when it has none;
 * undefined when one relocation is of a kind that may look further than the roots' values
 * (type ids of the target, type existence, size or match) or the sections are malformed.
 */
export function coreRelocationRoots(elf: Buffer): string[] | undefined {
  const ext = elfSection(elf, '.BTF.ext');
  if (!ext || ext.length < 32 || ext.readUInt16LE(0) !== 0xeb9f) return [];
  const hdrLen = ext.readUInt32LE(4);
  if (hdrLen < 32) return [];
  const off = hdrLen + ext.readUInt32LE(24);
  const len = ext.readUInt32LE(28);
  if (len === 0) return [];
  const btfData = elfSection(elf, '.BTF');
  if (!btfData || off + len > ext.length || len < 4) return undefined;
  const btf = new Btf(btfData);
  const recSize = ext.readUInt32LE(off);
  if (recSize < 16) return undefined;
  const roots = new Set<string>();
  for (let p = off + 4; p + 8 <= off + len;) {
    const count = ext.readUInt32LE(p + 4);
    p += 8;
    for (let i = 0; i < count; i++, p += recSize) {
      if (p + 16 > off + len) return undefined;
      const kind = ext.readUInt32LE(p + 12);
      if (kind === TYPE_ID_LOCAL) continue;
      if (!FIELD_KINDS.has(kind) && !ENUMVAL_KINDS.has(kind)) return undefined;
      const root = btf.kindAndName(ext.readUInt32LE(p + 4));
      if (!root?.name) return undefined;
      roots.add(`${root.kind}:${root.name}`);
    }
  }
  return [...roots].sort();
}

/**
 * The path of the target BTF to open `elf` with (`btf_custom_path`), or undefined to let libbpf
 * read the kernel's: no CO-RE relocations, a kind of relocation the cut BTF cannot answer, a
 * root the kernel's BTF lacks (libbpf would search the modules'), or no writable cache (reported
 * at debug level). Cuts and stores it on first use; later loads of any object with the same
 * roots read a few KB.
 */
export function coreTargetBtf(elf: Buffer): string | undefined {
  const seen = known.get(elf);
  // (a cache directory cleaned since: cut again rather than hand libbpf a missing file)
  if (seen === null || (seen !== undefined && existsSync(seen))) return seen ?? undefined;
  let path: string | null = null;
  try {
    path = cut(elf);
  } catch (e) {
    logger().debug(`CO-RE target BTF: using the kernel's (${(e as Error).message})`);
  }
  known.set(elf, path);
  return path ?? undefined;
}

function cut(elf: Buffer): string | null {
  const roots = coreRelocationRoots(elf);
  if (!roots?.length) return null;
  const key = createHash('sha256')
    .update(`v1\n${roots.join('\n')}`)
    .digest('hex')
    .slice(0, 24);
  const dir = join(cacheDir(), 'core-btf', btfHashSync(VMLINUX_BTF).slice(0, 24));
  const path = join(dir, `${key}.btf`);
  if (existsSync(path)) return path;
  const absent = `${path}.absent`;
  if (existsSync(absent)) return null;
  const res = native().coreTargetBtf(VMLINUX_BTF, roots);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  if (res.missing.length) {
    logger().debug(`CO-RE target BTF: the kernel's BTF lacks ${res.missing.join(', ')}; using the kernel's`);
    writeFileSync(tmp, res.missing.join('\n'));
    renameSync(tmp, absent);
    return null;
  }
  writeFileSync(tmp, res.btf);
  renameSync(tmp, path);
  return path;
}
