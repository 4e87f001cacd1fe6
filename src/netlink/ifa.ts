/** Address attributes (IFA_*, linux/if_addr.h) as a schema. Declarations only. */
import { attrs, message, struct } from './schema.js';
import { IFADDRMSG } from './rtnetlink.js';

/** struct ifa_cacheinfo. */
export const IFA_CACHEINFO = struct('ifa_cacheinfo', {
  ifa_prefered: 'u32',
  ifa_valid: 'u32',
  cstamp: 'u32',
  tstamp: 'u32',
});

/** Address attributes (IFA_*). */
export const IFA = attrs('IFA', {
  ADDRESS: [1, 'ip'],
  LOCAL: [2, 'ip'],
  LABEL: [3, 'string'],
  BROADCAST: [4, 'ip'],
  ANYCAST: [5, 'ip'],
  CACHEINFO: [6, IFA_CACHEINFO],
  MULTICAST: [7, 'ip'],
  FLAGS: [8, 'u32'],
  RT_PRIORITY: [9, 'u32'],
  TARGET_NETNSID: [10, 's32'],
  PROTO: [11, 'u8'],
});

/** Address flags (IFA_F_*). */
export const IFA_F = { NODAD: 0x02, TENTATIVE: 0x40, PERMANENT: 0x80 } as const;

/** An address message body: struct ifaddrmsg + IFA attributes. */
export const ADDR_MSG = message('address', IFADDRMSG, IFA);
