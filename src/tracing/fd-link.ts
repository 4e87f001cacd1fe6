/** FdLink: an attachment held by file descriptors (bpf links, perf events, raw tracepoints). */
import { native } from '../native.js';
import type { Link } from '../core/link.js';
import { track, untrack, type Closeable } from '../resources.js';

/**
 * An attachment that lasts as long as its fds are open: closing them detaches. Closed by its
 * BPF object, by close(), or by the registry at exit.
 */
export class FdLink implements Link, Closeable {
  private fds: number[];

  /**
   * @internal Takes ownership of fds (closed in reverse order); `release` runs after they are
   * closed (e.g. removing a tracefs probe event the link created).
   */
  constructor(
    readonly description: string,
    fds: number[],
    /** What the link attaches to, e.g. `tracepoint sched:sched_switch`. */
    readonly target: string,
    /** The program's name. */
    readonly program: string,
    private readonly release?: () => void,
  ) {
    this.fds = fds;
    track(this);
  }

  get closed(): boolean {
    return this.fds.length === 0 && this.done;
  }

  private done = false;

  /** The fds held (bpf link fds first, then perf event fds). */
  get fileDescriptors(): readonly number[] {
    return this.fds;
  }

  /** Detaches now; idempotent. */
  closeSync(): void {
    if (this.done) return;
    this.done = true;
    for (const fd of [...this.fds].reverse()) {
      try {
        native().closeFd(fd);
      } catch {
        // already closed
      }
    }
    this.fds = [];
    untrack(this);
    this.release?.();
  }

  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}
