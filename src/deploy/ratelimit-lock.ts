/**
 * The change lock of one `tsbcc ratelimit` namespace key: apply, set, unset and rm of the same
 * key run one after the other, never at once. It is an abstract unix socket bound to a name
 * made from the record directory and the key: binding is atomic, only one process can hold the
 * name, and the kernel frees it when the process ends however it ends (a SIGKILLed apply leaves
 * no stale lock to take over). A second process waits for it, polling. The holder's pid is also
 * written next to the record (`<key>.lock`, informational: named while others wait).
 *
 * Abstract socket names belong to the network namespace the process runs in: two tsbcc
 * processes started in different network namespaces do not see each other's lock.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { net } from '../util/node-builtins.js';
import { processStart, recordDir } from './ratelimit-record.js';

/** How long a change waits for another one of the same namespace (ms): default 120 s. */
function waitLimit(): number {
  const v = Number(process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 120_000;
}

/** The abstract socket name of a key's lock (under the current record directory). */
export function lockSocketName(key: string): string {
  const h = createHash('sha256').update(`${recordDir()}\0${key}`).digest('hex').slice(0, 32);
  return `\0tsbcc-ratelimit-${h}`;
}

function tryBind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net().createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      server.close();
      if (e.code === 'EADDRINUSE') resolve(undefined);
      else reject(e);
    });
    server.listen({ path: name, exclusive: true }, () => {
      server.unref(); // the lock never keeps the process alive
      resolve(server);
    });
  });
}

/** What a waiting process tells while it waits. */
export type LockWaitNotice = (holder: string) => void;

/**
 * Takes the namespace's change lock, waiting while another process holds it.
 * @param onWait called once, when the lock is held by another process (with its pid, if known).
 * @returns the function that releases it (idempotent).
 * @throws InvalidArgumentError when it is still held after the wait limit
 *   (`TSBCC_RATELIMIT_LOCK_WAIT_MS`, default 120000).
 */
export async function lockNamespace(key: string, onWait?: LockWaitNotice): Promise<() => void> {
  const name = lockSocketName(key);
  const info = join(recordDir(), `${key}.lock`);
  const deadline = Date.now() + waitLimit();
  let told = false;
  for (;;) {
    const server = await tryBind(name);
    if (server) {
      const me = `${process.pid} ${processStart(process.pid) ?? ''}\n`;
      try {
        mkdirSync(recordDir(), { recursive: true });
        writeFileSync(info, me);
      } catch {
        // informational only (the record directory is made by the first record write)
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(info, 'utf8') === me) rmSync(info, { force: true });
        } catch {
          // gone already
        }
        server.close();
      };
    }
    let holder = 'another process';
    try {
      const [pid = ''] = readFileSync(info, 'utf8').trim().split(' ');
      if (pid) holder = `process ${pid}`;
    } catch {
      // not written yet
    }
    if (Date.now() >= deadline) {
      throw new InvalidArgumentError(
        `ratelimit in ${key} is being changed by ${holder}; gave up waiting after ${waitLimit()} ms`,
      );
    }
    if (!told) {
      told = true;
      onWait?.(holder);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
