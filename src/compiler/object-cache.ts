/**
 * The on-disk object cache: compiled objects keyed by a hash of everything that changes the
 * output (source, local headers, flags, dialect headers, kernel BTF, compiler version, CPUs).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
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

/** A cached ObjectSpec, or undefined (a damaged entry counts as a miss). */
export async function cacheGet(dir: string, key: string): Promise<ObjectSpec | undefined> {
  const base = join(dir, 'objects', key);
  try {
    // synchronous: two small files, read faster than two thread-pool round trips
    const meta = readFileSync(`${base}.json`, 'utf8');
    const elf = readFileSync(`${base}.o`);
    const spec = JSON.parse(meta) as StoredSpec;
    return { ...spec, elf, fromCache: true };
  } catch {
    return undefined;
  }
}

/** Stores an ObjectSpec (atomically; failures are logged, never thrown). */
export async function cachePut(dir: string, key: string, spec: ObjectSpec): Promise<void> {
  const objects = join(dir, 'objects');
  const base = join(objects, key);
  const tmp = `.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(objects, { recursive: true });
    const { elf, ...meta } = spec;
    await writeFile(`${base}.o${tmp}`, elf);
    await writeFile(`${base}.json${tmp}`, JSON.stringify(meta));
    await rename(`${base}.o${tmp}`, `${base}.o`);
    await rename(`${base}.json${tmp}`, `${base}.json`);
  } catch (e) {
    logger().warn(`cannot write the compile cache at ${objects}`, { error: (e as Error).message });
  }
}
