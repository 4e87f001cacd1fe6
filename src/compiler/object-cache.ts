/**
 * The on-disk object cache: compiled objects keyed by a hash of everything that changes the
 * output (source, local headers, flags, dialect headers, kernel BTF, compiler version, CPUs).
 *
 * An entry is one file, `objects/KEY.entry`: two little-endian u32 lengths (the JSON
 * description, the ELF), the JSON, the ELF. It is written under a name no other writer uses
 * and renamed into place, so a reader sees a whole entry or none: two processes compiling the
 * same new source both write, and the last rename wins with an equal entry. A file whose
 * lengths do not add up is a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../logger.js';
import type { ObjectSpec } from './object-spec.js';

/** Builds a cache key from ordered parts. */
export function cacheKey(parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? `${p.length}:` : `b${p.length}:`);
    h.update(p);
  }
  return h.digest('hex').slice(0, 32);
}

type StoredSpec = Omit<ObjectSpec, 'elf'>;

/** The path of a key's entry. */
export function cacheEntryPath(dir: string, key: string): string {
  return join(dir, 'objects', `${key}.entry`);
}

/** A cached ObjectSpec, or undefined (a missing or damaged entry counts as a miss). */
export async function cacheGet(dir: string, key: string): Promise<ObjectSpec | undefined> {
  try {
    // synchronous: one small file, read faster than a thread-pool round trip
    const b = readFileSync(cacheEntryPath(dir, key));
    if (b.length < 8) return undefined;
    const metaLen = b.readUInt32LE(0);
    const elfLen = b.readUInt32LE(4);
    if (8 + metaLen + elfLen !== b.length) return undefined;
    const spec = JSON.parse(b.toString('utf8', 8, 8 + metaLen)) as StoredSpec;
    return { ...spec, elf: Buffer.from(b.subarray(8 + metaLen)), fromCache: true };
  } catch {
    return undefined;
  }
}

/** Stores an ObjectSpec atomically; failures are logged, never thrown. */
export async function cachePut(dir: string, key: string, spec: ObjectSpec): Promise<void> {
  const file = cacheEntryPath(dir, key);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(join(dir, 'objects'), { recursive: true });
    const { elf, ...meta } = spec;
    const json = Buffer.from(JSON.stringify(meta));
    const head = Buffer.alloc(8);
    head.writeUInt32LE(json.length, 0);
    head.writeUInt32LE(elf.length, 4);
    await writeFile(tmp, Buffer.concat([head, json, elf]));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    logger().warn(`cannot write the compile cache at ${join(dir, 'objects')}`, {
      error: (e as Error).message,
    });
  }
}
