/** tc: qdiscs, classes, cls_bpf filters, actions and ifb devices as Links. Re-exports only. */
export {
  parseRate as parseTcRate,
  parseSize as parseTcSize,
  parseTime as parseTcTime,
  parseHandle,
  formatHandle,
  formatRate,
} from '../netlink/tc/units.js';
export type { RateInput, SizeInput, TimeInput, HandleInput } from '../netlink/tc/units.js';
export { TC_ACT } from '../netlink/tc/tca.js';
export type { DeviceTarget as TcTarget } from '../netlink/device.js';
export * from './actions.js';
export * from './device.js';
export * from './filter.js';
export * from './filter-list.js';
export * from './htb.js';
export * from './ifb.js';
export * from './qdisc.js';
export type { KeepOption } from './tc-link.js';
export * from './clean.js';
