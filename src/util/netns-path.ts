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

/** Longest interface name the kernel takes, in bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX_BYTES = 15;

/** Bytes the kernel's isspace() is true for (lib/ctype.c: \t \n \v \f \r, space, 0xa0). */
const KERNEL_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

/**
 * What is wrong with an interface name by the kernel's rules (dev_valid_name: 1-15 bytes, not
 * "." or "..", no '/', ':' or whitespace byte), plus NUL, which the kernel would silently cut
 * the name at (so "lo\0x" would address lo). Pure.
 * @returns a message naming the name and the problem, or undefined when the name is valid.
 */
export function interfaceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `interface name must be a string, not ${typeof name}`;
  if (name.length === 0) return 'empty interface name';
  const shown = JSON.stringify(name);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > IFNAME_MAX_BYTES) {
    return `interface name ${shown} is longer than ${IFNAME_MAX_BYTES} bytes`;
  }
  if (name === '.' || name === '..') return `invalid interface name ${shown}: "." and ".." are reserved`;
  for (const b of bytes) {
    let what: string | undefined;
    if (b === 0) what = 'a NUL byte';
    else if (b === 0x2f) what = "'/'";
    else if (b === 0x3a) what = "':'";
    else if (KERNEL_SPACE.has(b)) what = `whitespace (byte 0x${b.toString(16).padStart(2, '0')})`;
    if (what) return `invalid interface name ${shown}: contains ${what} (no '/', ':', whitespace or NUL)`;
  }
  return undefined;
}

/**
 * Validates an interface name the way the kernel does (see {@link interfaceNameProblem}).
 * @throws InvalidArgumentError naming the name and what is wrong with it.
 */
export function checkInterfaceName(name: string): void {
  const problem = interfaceNameProblem(name);
  if (problem) throw new InvalidArgumentError(problem);
}
