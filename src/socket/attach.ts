/**
 * SO_ATTACH_BPF on any existing socket: a file descriptor, or a Node net.Socket, net.Server
 * or dgram.Socket (their fd is read from Node's handle).
 */
import type { Link } from '../core/link.js';
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { InvalidArgumentError, fromNative } from '../errors.js';
import { native } from '../native.js';

/** A socket to filter: its fd, or a Node socket object that has one. */
export type SocketLike = number | object;

/** The fd of a Node socket (net.Socket/net.Server `_handle.fd`, dgram's state handle). */
export function socketFd(s: SocketLike): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0) throw new InvalidArgumentError(`invalid socket fd ${s}`);
    return s;
  }
  // dgram.Socket keeps its handle under a 'state symbol' (its _handle getter is deprecated).
  const state = Object.getOwnPropertySymbols(s).find((k) => k.description === 'state symbol');
  const st = state ? (s as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[state] : undefined;
  if (typeof st?.handle?.fd === 'number' && st.handle.fd >= 0) return st.handle.fd;
  const handle = (s as { _handle?: { fd?: unknown } })._handle;
  if (typeof handle?.fd === 'number' && handle.fd >= 0) return handle.fd;
  throw new InvalidArgumentError('socket has no file descriptor yet (bind or connect it first)');
}

/**
 * Attaches a SOCKET_FILTER program to an existing socket (SO_ATTACH_BPF): the socket then
 * receives only what the program accepts (its return value is the bytes kept; 0 drops). The
 * Link detaches it (SO_DETACH_BPF); the caller keeps owning the socket.
 * @throws InvalidArgumentError when the program is not SOCKET_FILTER or the socket has no fd.
 * @throws SyscallError from setsockopt.
 */
export function attachSocketFilter(socket: SocketLike, program: Program): Link {
  if (program.type !== ProgramType.SOCKET_FILTER) {
    throw new InvalidArgumentError(
      `program ${program.name} is ${program.typeName}; a socket filter must be loaded as SOCKET_FILTER`,
    );
  }
  const fd = socketFd(socket);
  try {
    native().attachSocketFilter(fd, program.fd);
  } catch (e) {
    throw fromNative(e, `attach ${program.name} to socket fd ${fd}`);
  }
  let closed = false;
  const link: Link = {
    description: `socket filter ${program.name} on fd ${fd}`,
    get closed() {
      return closed;
    },
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      try {
        native().detachSocketFilter(fd);
      } catch (e) {
        // The socket may be closed already, which detaches too.
        if ((e as { errno?: number }).errno !== 9)
          return Promise.reject(fromNative(e, `detach ${program.name}`));
      }
      return Promise.resolve();
    },
    [Symbol.asyncDispose]: () => link.close(),
  };
  return link;
}
