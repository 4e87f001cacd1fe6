/** Route attributes (RTA_*, linux/rtnetlink.h) as a schema. Declarations only. */
import { attrs, message } from './schema.js';
import { RTMSG } from './rtnetlink.js';

/** Route attributes (RTA_*). */
export const RTA = attrs('RTA', {
  DST: [1, 'ip'],
  SRC: [2, 'ip'],
  IIF: [3, 'u32'],
  OIF: [4, 'u32'],
  GATEWAY: [5, 'ip'],
  PRIORITY: [6, 'u32'],
  PREFSRC: [7, 'ip'],
  TABLE: [15, 'u32'],
  MARK: [16, 'u32'],
  PREF: [20, 'u8'],
});

/** A route message body: struct rtmsg + RTA attributes. */
export const ROUTE_MSG = message('route', RTMSG, RTA);
