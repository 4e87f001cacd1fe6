/** tc: qdiscs, classes, cls_bpf filters, actions, ifb devices and rate limiting. Re-exports only. */
export {
  parseRate as parseTcRate,
  parseSize as parseTcSize,
  parseTime as parseTcTime,
  parseHandle,
  formatHandle,
  formatRate,
} from '../netlink/tc-units.js';
export type { RateInput, SizeInput, TimeInput, HandleInput } from '../netlink/tc-units.js';
export * from './actions.js';
export * from './device.js';
export * from './filter.js';
export * from './filter-list.js';
export * from './htb.js';
export * from './ifb.js';
export * from './qdisc.js';
export * from './qdisc-options.js';
export { TSBCC_FILTER_PREFIX, TC_ACT } from './constants.js';
export type { TcTarget } from './tc-netlink.js';
export type { KeepOption } from './tc-link.js';
export * from './rate-limit.js';
export * from './clean.js';
