/**
 * The direct encoder of filter lookups and deletions (src/netlink/tc/filter.ts filterKeyBody)
 * writes exactly what the generic schema encoder writes for the same struct tcmsg + TCA_KIND +
 * TCA_CHAIN, for any key; and the messages built from it carry the right type and flags.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NLM_F, REQUEST } from '../../src/netlink/message.js';
import { RTM } from '../../src/netlink/rtnetlink.js';
import { encodeMessage } from '../../src/netlink/schema.js';
import { filterKeyBody, filterRequest } from '../../src/netlink/tc/filter.js';
import { TC_MSG } from '../../src/netlink/tc/tca.js';
import { fuzzParams } from './helpers/fuzz.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const key = fc.record({
  kind: fc.constantFrom('bpf', 'u32', 'matchall', 'flower', 'basic', 'fw'),
  parent: u32,
  priority: fc.integer({ min: 0, max: 0xffff }),
  protocolRaw: fc.integer({ min: 0, max: 0xffff }),
  handle: u32,
  chain: fc.oneof(fc.constant(0), u32),
});

describe('filter lookup/deletion bodies', () => {
  it('equal the generic encoding', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 0x7fffffff }), (k, ifindex) => {
        const generic = encodeMessage(TC_MSG, {
          header: {
            tcm_ifindex: ifindex,
            tcm_handle: k.handle,
            tcm_parent: k.parent,
            tcm_info: ((k.priority << 16) | k.protocolRaw) >>> 0,
          },
          attrs: { KIND: k.kind, CHAIN: k.chain || undefined },
        });
        expect(filterKeyBody(ifindex, k).equals(generic)).toBe(true);
      }),
      fuzzParams(2000),
    );
  });

  it('the lookup asks for no ack (its reply ends it), the deletion for one', () => {
    const k = { kind: 'bpf', parent: 0xfffffff2, priority: 1, protocolRaw: 0x0300, handle: 1, chain: 0 };
    const get = filterRequest('get', 7, k).build();
    const del = filterRequest('delete', 7, k).build();
    expect([get.readUInt16LE(4), get.readUInt16LE(6)]).toEqual([RTM.GETTFILTER, NLM_F.REQUEST]);
    expect([del.readUInt16LE(4), del.readUInt16LE(6)]).toEqual([RTM.DELTFILTER, REQUEST.ACK]);
    expect(get.readUInt32LE(0)).toBe(get.length);
    expect(get.subarray(16).equals(filterKeyBody(7, k))).toBe(true);
  });
});
