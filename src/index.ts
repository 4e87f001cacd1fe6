/** tsbcc: the BPF Compiler Collection for TypeScript. Re-exports only. */
export * from './errors.js';
export * from './logger.js';
