/** Kernel feature probes and their catalog. Re-exports only. */
export * from './catalog.js';
export * from './probe.js';
export * from './mounts.js';
