/** A map as raw bytes: the base every typed table builds on. */
import { ClosedError, fromNative, InvalidArgumentError } from '../errors.js';
import { native } from '../native.js';
import { mapTypeName } from '../uapi/map-type.js';
import { track, untrack, type Closeable } from '../resources.js';

/** Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** A map's shape as the kernel knows it. */
export interface MapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** The MapInfo fields of anything that has them (a MapSpec, the kernel's bpf_map_info). */
export function mapInfoOf(m: MapInfo): MapInfo {
  return {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
  };
}

/**
 * A map accessed with Buffers of exactly keySize/valueSize bytes. Owns its fd (a duplicate);
 * close() releases it (the kernel frees the map when nothing else holds it).
 */
export class RawMap implements Closeable {
  private fdValue: number;

  /** @internal Takes ownership of fd. */
  constructor(
    readonly info: MapInfo,
    fd: number,
  ) {
    this.fdValue = fd;
    track(this);
  }

  get name(): string {
    return this.info.name;
  }

  /** The map's file descriptor. @throws ClosedError after close(). */
  get fd(): number {
    if (this.fdValue < 0) throw new ClosedError(`map ${this.info.name}`);
    return this.fdValue;
  }

  get closed(): boolean {
    return this.fdValue < 0;
  }

  get description(): string {
    return `map ${this.info.name} (${mapTypeName(this.info.type)})`;
  }

  private check(buf: Buffer | null, size: number, what: string): void {
    if (size === 0) return;
    if (!buf || buf.length !== size) {
      throw new InvalidArgumentError(
        `map ${this.info.name}: ${what} must be ${size} bytes, got ${buf ? buf.length : 'none'}`,
      );
    }
  }

  /** The value bytes for key, or undefined when absent. */
  lookup(key: Buffer | null, valueSize = this.info.valueSize): Buffer | undefined {
    this.check(key, this.info.keySize, 'key');
    const value = Buffer.alloc(valueSize);
    try {
      return native().mapLookup(this.fd, key, value) ? value : undefined;
    } catch (e) {
      throw fromNative(e, `lookup in map ${this.info.name}`);
    }
  }

  /** Writes value at key with flags (UpdateFlags). */
  update(key: Buffer | null, value: Buffer, flags: number = UpdateFlags.ANY): void {
    this.check(key, this.info.keySize, 'key');
    try {
      native().mapUpdate(this.fd, key, value, flags);
    } catch (e) {
      throw fromNative(e, `update in map ${this.info.name}`);
    }
  }

  /** Deletes key; false when it was absent. */
  delete(key: Buffer): boolean {
    this.check(key, this.info.keySize, 'key');
    try {
      return native().mapDelete(this.fd, key);
    } catch (e) {
      throw fromNative(e, `delete in map ${this.info.name}`);
    }
  }

  /** Iterates the keys with get_next_key (keys deleted mid-walk are skipped by the kernel). */
  *keys(): IterableIterator<Buffer> {
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.info.keySize);
      let more: boolean;
      try {
        more = native().mapNextKey(this.fd, prev, next);
      } catch (e) {
        throw fromNative(e, `iterate map ${this.info.name}`);
      }
      if (!more) return;
      yield next;
      prev = next;
    }
  }

  /** Releases the fd; idempotent. */
  closeSync(): void {
    if (this.fdValue < 0) return;
    native().closeFd(this.fdValue);
    this.fdValue = -1;
    untrack(this);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}
