/** tsbcc: the BPF Compiler Collection for TypeScript. Re-exports only. */
export * from './errors.js';
export * from './logger.js';
export * from './compiler/compile.js';
export type * from './compiler/object-spec.js';
export * from './core/program-type.js';
export * from './core/map-type.js';
export * from './core/bpf-object.js';
export * from './core/program.js';
export type * from './core/link.js';
export * from './maps/raw-map.js';
export * from './socket/packet-socket.js';
