/**
 * Node built-in modules that `import 'tsbcc'` does not load until a function needs them:
 * node:http, node:net, node:child_process and node:worker_threads cost a process ~2 MB of RSS
 * together when imported (bench/RESULTS.md, "Session 7: memory"), paid by every user of the
 * package entry although most never start a server, spawn a process or parse an address.
 * Synchronous (Node's `require` of a built-in), so the functions using them stay synchronous;
 * each is loaded once.
 */
import type * as ChildProcess from 'node:child_process';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type * as Net from 'node:net';
import type * as WorkerThreads from 'node:worker_threads';

let req: NodeJS.Require | undefined;
let childProcessModule: typeof ChildProcess | undefined;
let httpModule: typeof Http | undefined;
let netModule: typeof Net | undefined;
let workerThreadsModule: typeof WorkerThreads | undefined;

const load = <T>(name: string): T => {
  req ??= createRequire(import.meta.url);
  return req(name) as T;
};

/** node:child_process, loaded on the first call. */
export function childProcess(): typeof ChildProcess {
  childProcessModule ??= load<typeof ChildProcess>('node:child_process');
  return childProcessModule;
}

/** node:http, loaded on the first call. */
export function http(): typeof Http {
  httpModule ??= load<typeof Http>('node:http');
  return httpModule;
}

/** node:net, loaded on the first call. */
export function net(): typeof Net {
  netModule ??= load<typeof Net>('node:net');
  return netModule;
}

/** node:worker_threads, loaded on the first call. */
export function workerThreads(): typeof WorkerThreads {
  workerThreadsModule ??= load<typeof WorkerThreads>('node:worker_threads');
  return workerThreadsModule;
}
