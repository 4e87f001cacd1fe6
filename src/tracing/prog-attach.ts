/**
 * BPF_PROG_ATTACH (BCC's `BPF.attach_func` / `detach_func`): attaching a program to something
 * held by an fd — a cgroup directory, a sockmap, a namespace — with an attach type.
 */
import { constants } from 'node:fs';
import { InvalidArgumentError, fromNative } from '../errors.js';
import { native } from '../native.js';
import type { Link } from '../core/link.js';
import type { Program } from '../core/program.js';
import { AttachType } from '../uapi/program-type.js';
import { track, untrack, type Closeable } from '../resources.js';

/** BPF_PROG_ATTACH flags. */
export const ProgAttachFlags = {
  /** BPF_F_ALLOW_OVERRIDE: a program in a descendant cgroup may override this one. */
  ALLOW_OVERRIDE: 1,
  /** BPF_F_ALLOW_MULTI: several programs per cgroup and type, run in order. */
  ALLOW_MULTI: 2,
  /** BPF_F_REPLACE. */
  REPLACE: 4,
} as const;

/** The attach target: an fd you keep open, or a path (a cgroup directory) opened and owned by the link. */
export type Attachable = number | { path: string };

function attachTypeNumber(t: number | keyof typeof AttachType): number {
  if (typeof t === 'number') return t;
  const v = AttachType[t] as number | undefined;
  if (v === undefined) throw new InvalidArgumentError(`unknown attach type "${t}"`);
  return v;
}

/** A program attached with BPF_PROG_ATTACH; closing it detaches (BPF_PROG_DETACH). */
export class ProgAttachment implements Link, Closeable {
  private done = false;

  /** @internal */
  constructor(
    private readonly prog: Program,
    /** The target fd. */
    readonly targetFd: number,
    /** The attach type number. */
    readonly attachType: number,
    readonly description: string,
    private readonly ownsFd: boolean,
  ) {
    track(this);
  }

  get closed(): boolean {
    return this.done;
  }

  /** Detaches; idempotent. A program already detached by someone else is not an error. */
  closeSync(): void {
    if (this.done) return;
    this.done = true;
    untrack(this);
    try {
      native().progDetach(this.prog.fd, this.targetFd, this.attachType);
    } catch {
      // detached elsewhere, or the program is gone
    } finally {
      if (this.ownsFd) native().closeFd(this.targetFd);
    }
  }

  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Attaches `prog` to the object behind `target` with `attachType` (BCC's BPF.attach_func), e.g.
 * a CGROUP_SKB program to a cgroup directory with `CGROUP_INET_EGRESS`, or an SK_SKB program to
 * a sockmap's fd with `SK_SKB_STREAM_VERDICT`.
 * @returns a link whose close() detaches (and closes the fd when a path was given).
 * @throws InvalidArgumentError for an unknown attach type name; SyscallError from the kernel.
 */
export function attachFunc(
  prog: Program,
  target: Attachable,
  attachType: number | keyof typeof AttachType,
  flags = 0,
): ProgAttachment {
  const type = attachTypeNumber(attachType);
  let fd: number;
  if (typeof target === 'number') fd = target;
  else {
    try {
      fd = native().openPath(target.path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (e) {
      throw fromNative(e, `open ${target.path}`);
    }
  }
  try {
    native().progAttach(prog.fd, fd, type, flags);
  } catch (e) {
    if (typeof target !== 'number') native().closeFd(fd);
    throw fromNative(
      e,
      `attach ${prog.name} (attach type ${type}) to ${typeof target === 'number' ? `fd ${fd}` : target.path}`,
    );
  }
  const where = typeof target === 'number' ? `fd ${fd}` : target.path;
  return new ProgAttachment(
    prog,
    fd,
    type,
    `${prog.name} attached to ${where} (attach type ${type})`,
    typeof target !== 'number',
  );
}

/**
 * Detaches `prog` from the object behind fd `target` (BCC's BPF.detach_func), for attachments
 * made elsewhere; links from attachFunc detach with close().
 * @throws SyscallError (ENOENT when it was not attached).
 */
export function detachFunc(
  prog: Program,
  target: number,
  attachType: number | keyof typeof AttachType,
): void {
  try {
    native().progDetach(prog.fd, target, attachTypeNumber(attachType));
  } catch (e) {
    throw fromNative(e, `detach ${prog.name} from fd ${target}`);
  }
}
