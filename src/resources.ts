/**
 * The resource registry (DESIGN D11): every live kernel object registers a synchronous closer;
 * whatever is still open is closed on normal exit, SIGINT, SIGTERM, SIGHUP and an uncaught
 * exception. When the program has its own handler for the signal (or for uncaught exceptions),
 * things stay open for that handler and are closed when the process exits. Handlers are
 * installed on first registration, never at import time.
 */
import { logger } from './logger.js';

/** Something the registry can close. */
export interface Closeable {
  /** Closes synchronously; must be idempotent. */
  closeSync(): void;
  /** A description for logs, e.g. `program count (fd 12)`. */
  readonly description: string;
}

const open = new Set<Closeable>();
let installed = false;

/** Closes everything still registered, newest first. Safe to call more than once. */
export function closeAll(): void {
  const items = [...open].reverse();
  open.clear();
  for (const r of items) {
    try {
      r.closeSync();
    } catch (e) {
      logger().warn(`closing ${r.description} at exit failed`, { error: (e as Error).message });
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', closeAll);
  // With an uncaughtException handler of the user's the process may go on: leave things open
  // (the exit hook still closes them if it ends).
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) closeAll();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // The user handles this signal (e.g. prints a histogram on Ctrl-C, then exits): keep
      // everything open for them; the exit hook closes it when the process ends.
      if (process.listenerCount(sig) > 1) return;
      process.removeListener(sig, handler);
      closeAll();
      // We were the only listener: the default action is restored, so re-raising the signal
      // ends the process the way it would have ended without us.
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Registers a live resource; call {@link untrack} when it is closed normally. */
export function track(r: Closeable): void {
  install();
  open.add(r);
}

/** Removes a resource from the registry. */
export function untrack(r: Closeable): void {
  open.delete(r);
}

/** How many resources are open (for tests). */
export function openResourceCount(): number {
  return open.size;
}
