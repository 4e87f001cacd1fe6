/** Network-namespace references: a name under /run/netns, or a path to an nsfs file. */
import { InvalidArgumentError } from '../errors.js';

/** A namespace by name (`ip netns` name) or by path (`/proc/PID/ns/net`); undefined = current. */
export type NetnsRef = string | undefined;

/** The nsfs path for a namespace reference ("" for the caller's own namespace). */
export function netnsPath(ns: NetnsRef): string {
  if (ns === undefined || ns === '') return '';
  if (ns.includes('/')) return ns;
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(ns) || ns === '.' || ns === '..') {
    throw new InvalidArgumentError(`invalid network namespace name "${ns}"`);
  }
  return `/run/netns/${ns}`;
}

/** Validates an interface name the way the kernel does (1-15 bytes, no '/', ':' or spaces). */
export function checkInterfaceName(name: string): void {
  if (
    name.length === 0 ||
    Buffer.byteLength(name) > 15 ||
    /[/:\s]/.test(name) ||
    name === '.' ||
    name === '..'
  ) {
    throw new InvalidArgumentError(
      `invalid interface name "${name}": 1-15 characters, without '/', ':' or whitespace`,
    );
  }
}
