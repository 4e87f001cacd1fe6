/** Pinning maps and programs under bpffs, and opening pinned objects. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromNative } from '../errors.js';
import { native } from '../native.js';

/** Options of pinMap / pinProgram. */
export interface PinOptions {
  /** Remove the pin when the owning object closes (and at exit). Default false: the pin outlives the process. */
  temporary?: boolean;
}

/**
 * Pins fd at path (creating parent directories on bpffs).
 * @throws SyscallError from BPF_OBJ_PIN (EEXIST, or EPERM when path is not on bpffs).
 */
export function pinObject(fd: number, path: string, what: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch {
    // the pin call reports the real problem
  }
  try {
    native().objPin(fd, path);
  } catch (e) {
    throw fromNative(e, `pin ${what} at ${path}`);
  }
}

/**
 * Opens a pinned map or program; the caller owns the returned fd.
 * @throws SyscallError (ENOENT when nothing is pinned there).
 */
export function openPinned(path: string): number {
  try {
    return native().objGet(path);
  } catch (e) {
    throw fromNative(e, `open pinned object ${path}`);
  }
}
