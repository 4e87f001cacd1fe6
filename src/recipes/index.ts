/**
 * Recipes: ready-made combinations of programs, tc objects and maps for common jobs (rate
 * limiting, per-IP rate limiting). Re-exports only.
 */
export * from './rate-limit.js';
export { chooseStrategy, type StrategyChoice, type StrategyInput } from './rate-limit-strategy.js';
export type { TokenBucket } from './token-bucket.js';
export * from './per-ip-rate-limit.js';
export * from './per-ip-classifier.js';
export * from './vxlan-flow-source.js';
export * from './vxlan-flow-monitor.js';
export * from './vxlan-flow-metrics.js';
