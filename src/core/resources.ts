/**
 * The resource registry (DESIGN D11): every live kernel object registers a synchronous closer;
 * whatever is still open is closed on normal exit, SIGINT, SIGTERM and an uncaught exception.
 * Handlers are installed on first registration, never at import time.
 */
import { logger } from '../logger.js';

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

function onSignal(sig: NodeJS.Signals): void {
  closeAll();
  // If we were the only listener, restore the default action and re-raise the signal so the
  // process ends the way it would have without us.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', closeAll);
  process.on('uncaughtExceptionMonitor', closeAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      process.removeListener(sig, handler);
      onSignal(sig);
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
