/** Recipes: ready-made combinations of programs, tc objects and maps for common jobs. Re-exports only. */
export * from './per-ip-rate-limit.js';
export * from './per-ip-classifier.js';
export * from './vxlan-flow-source.js';
export * from './vxlan-flow-monitor.js';
export * from './vxlan-flow-metrics.js';
