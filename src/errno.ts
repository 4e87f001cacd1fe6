/** errno numbers by name (Linux), and the symbolic name of a number. */
import { constants } from 'node:os';

/** The errno values tsbcc tests for, by name (Linux numbers, asm-generic/errno*.h). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ENOSYS: 38,
  /** Exchange full (a bridge with no free port number, for one). */
  EXFULL: 54,
  /** A reply too short for what it should hold. */
  EBADMSG: 74,
  EOPNOTSUPP: 95,
  ENOTCONN: 107,
  /** The kernel-internal "not supported" some BPF commands leak (524). */
  ENOTSUPP: 524,
} as const;

let byNumber: Map<number, string> | undefined;

/** The symbolic name of an errno value (`ENOENT`), or `E<n>` when unknown. */
export function errnoName(errno: number): string {
  if (!byNumber) {
    byNumber = new Map();
    for (const [name, value] of Object.entries(constants.errno))
      if (!byNumber.has(value)) byNumber.set(value, name);
    byNumber.set(ERRNO.EOPNOTSUPP, 'EOPNOTSUPP');
    byNumber.set(ERRNO.EXFULL, 'EXFULL'); // not in Node's table: a bridge with no free port number, for one
    byNumber.set(ERRNO.ENOTSUPP, 'ENOTSUPP');
  }
  return byNumber.get(errno) ?? `E${errno}`;
}
