/** The topology simulator (DESIGN D8): re-exports only. */
export * from './spec.js';
export * from './plan.js';
export * from './resolve.js';
export * from './topology.js';
export * from './yaml.js';
export * from './network.js';
export * from './process.js';
export * from './state.js';
export type { Step, ProgressEvent } from './realise.js';
export { hasNetem } from './shaping.js';
export { parseRate, parseSize, parseTime, parsePercent } from './units.js';
