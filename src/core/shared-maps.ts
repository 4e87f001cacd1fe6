/**
 * BCC's table sharing between objects of one process: maps declared `*_PUBLIC` / `*_SHARED`
 * are registered by name when their object is created, and `BPF_TABLE("extern", ...)` in a later
 * object resolves to them (libbpf reuses the registered map instead of creating one).
 */
import { InvalidArgumentError, fromNative } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';

interface Entry {
  fd: number;
  owner: object;
}

const shared = new Map<string, Entry>();

/** @internal Registers a dup of `fd` under `name` for `owner` (replacing an earlier one). */
export function registerSharedMap(name: string, fd: number, owner: object): void {
  const prev = shared.get(name);
  if (prev) {
    logger().debug(`shared table ${name} is now the one of a newer object`);
    native().closeFd(prev.fd);
  }
  try {
    shared.set(name, { fd: native().dupFd(fd), owner });
  } catch (e) {
    throw fromNative(e, `share table ${name}`);
  }
}

/** @internal Drops every table `owner` registered. */
export function unregisterSharedMaps(owner: object): void {
  for (const [name, e] of [...shared]) {
    if (e.owner !== owner) continue;
    native().closeFd(e.fd);
    shared.delete(name);
  }
}

/**
 * @internal The fd of shared table `name` (owned by the registry).
 * @throws InvalidArgumentError when no live object shares a table of that name.
 */
export function sharedMapFd(name: string, object: string): number {
  const e = shared.get(name);
  if (!e)
    throw new InvalidArgumentError(
      `${object}: reference to undefined table "${name}" (BPF_TABLE("extern", ...) needs an object that declares it *_PUBLIC or *_SHARED to be created first)`,
    );
  return e.fd;
}

/** The names of the tables shared in this process. */
export function sharedTableNames(): string[] {
  return [...shared.keys()];
}
