import { describe, expect, it } from 'vitest';
import { NetlinkError } from '../../src/errors.js';
import { combine, joinable, split, type Transaction } from '../../src/netlink/coalesce.js';
import { MessageBuilder, NLM_F, NLMSG } from '../../src/netlink/message.js';
import { nativeConditions, outcome, type NetlinkRequest } from '../../src/netlink/request.js';
import { RTM, TCMSG } from '../../src/netlink/rtnetlink.js';
import { stillRuns } from '../../src/tc/filter.js';

/** One netlink message: header + payload. */
function msg(type: number, seq: number, payload: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(16);
  const len = 16 + payload.length;
  h.writeUInt32LE(len, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  const pad = Buffer.alloc((4 - (len % 4)) % 4);
  return Buffer.concat([h, payload, pad]);
}

/** An NLMSG_ERROR answering seq: errno 0 is an ack; extack adds the kernel's text. */
function ack(seq: number, errno = 0, extack?: string): Buffer {
  const body = Buffer.alloc(4 + 16);
  body.writeInt32LE(-errno, 0);
  body.writeUInt32LE(16, 4);
  body.writeUInt32LE(seq, 12);
  if (!extack) return msg(NLMSG.ERROR, seq, body, NLM_F.CAPPED);
  const text = Buffer.from(`${extack}\0`);
  const tlv = Buffer.alloc(4 + ((text.length + 3) & ~3));
  tlv.writeUInt16LE(4 + text.length, 0);
  tlv.writeUInt16LE(1, 2);
  text.copy(tlv, 4);
  return msg(NLMSG.ERROR, seq, Buffer.concat([body, tlv]), NLM_F.CAPPED | NLM_F.ACK_TLVS);
}

const req = (operation: string, extra: Partial<NetlinkRequest> = {}): NetlinkRequest => ({
  message: new MessageBuilder(RTM.GETLINK, NLM_F.REQUEST | NLM_F.ACK),
  operation,
  ...extra,
});

describe('netlink reply matching by sequence number', () => {
  it('keeps only the messages of the request’s sequence number, without acks or DONE', () => {
    const r = req('look up');
    const seq = r.message.seq;
    const datagram = Buffer.concat([
      msg(RTM.NEWLINK, seq + 1000, Buffer.from('other')), // another request's reply
      msg(RTM.NEWLINK, seq, Buffer.from('mine')),
      msg(NLMSG.DONE, seq, Buffer.alloc(4)),
      ack(seq),
    ]);
    const out = outcome(r, [datagram]);
    expect(Array.isArray(out)).toBe(true);
    expect((out as { payload: Buffer }[]).map((m) => m.payload.subarray(0, 4).toString())).toEqual(['mine']);
  });

  it('turns a refusal into a NetlinkError with errno name, operation and extended ack', () => {
    const r = req('add qdisc htb on veth0');
    const out = outcome(r, [
      ack(r.message.seq + 5, 17),
      ack(r.message.seq, 22, 'Parent Qdisc doesn’t exists'),
    ]);
    expect(out).toBeInstanceOf(NetlinkError);
    expect(out).toMatchObject({
      errno: 22,
      code: 'EINVAL',
      operation: 'add qdisc htb on veth0',
      extack: 'Parent Qdisc doesn’t exists',
    });
  });

  it('a request that was not sent has no outcome; one sent without replies has none to list', () => {
    expect(outcome(req('x'), null)).toBeUndefined();
    expect(outcome(req('x'), [])).toEqual([]);
  });
});

describe('pipelined transactions on one socket', () => {
  it('combine keeps each stop-on-error transaction’s chain inside it and nothing else', () => {
    const a: Transaction = { requests: [req('a1'), req('a2'), req('a3')], stopOnError: true };
    const b: Transaction = { requests: [req('b1'), req('b2')], stopOnError: false };
    const c: Transaction = { requests: [req('c1'), req('c2')], stopOnError: true };
    const { requests, conditions } = combine([a, b, c]);
    expect(requests.map((r) => r.operation)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1', 'c2']);
    // a transaction's first request never depends on the one before it (another transaction's)
    expect(conditions).toEqual([null, {}, {}, null, null, null, {}]);
  });

  it('combine passes a request’s own condition and needs none for plain transactions', () => {
    const guarded = req('delete', { onlyIf: stillRuns(42) });
    const { conditions } = combine([{ requests: [req('get'), guarded], stopOnError: false }]);
    expect(conditions).toEqual([
      null,
      { match: { type: RTM.NEWTFILTER, headerLen: TCMSG.size, path: [2, 11], value: 42 } },
    ]);
    expect(combine([{ requests: [req('x'), req('y')], stopOnError: false }]).conditions).toBeUndefined();
    expect(nativeConditions([req('x'), req('y', { onlyIf: { previous: 'accepted' } })])).toEqual([null, {}]);
  });

  it('a transaction whose first request has a condition cannot follow another', () => {
    expect(joinable({ requests: [req('x', { onlyIf: { previous: 'accepted' } })], stopOnError: false })).toBe(
      false,
    );
    expect(joinable({ requests: [req('x')], stopOnError: true })).toBe(true);
  });

  it('split hands each transaction its own outcomes; a refusal ends only its own transaction', () => {
    const a: Transaction = { requests: [req('a1'), req('a2'), req('a3')], stopOnError: true };
    const b: Transaction = { requests: [req('b1'), req('b2')], stopOnError: false };
    const [a1, a2] = a.requests as [NetlinkRequest, NetlinkRequest];
    const [b1, b2] = b.requests as [NetlinkRequest, NetlinkRequest];
    // the kernel refused a2, so a3 was not sent (null); b's requests ran, b1 refused
    const datagrams = [
      [ack(a1.message.seq)],
      [ack(a2.message.seq, 17, 'Exclusivity flag on, cannot modify')],
      null,
      [ack(b1.message.seq, 2)],
      [Buffer.concat([msg(RTM.NEWLINK, b2.message.seq, Buffer.alloc(16)), ack(b2.message.seq)])],
    ];
    const [outA, outB] = split([a, b], datagrams);
    expect(outA).toHaveLength(2);
    expect(outA?.[0]).toEqual([]);
    expect(outA?.[1]).toMatchObject({
      errno: 17,
      operation: 'a2',
      extack: 'Exclusivity flag on, cannot modify',
    });
    expect(outB).toHaveLength(2);
    expect(outB?.[0]).toMatchObject({ errno: 2, code: 'ENOENT', operation: 'b1' });
    expect(outB?.[1]).toHaveLength(1);
  });

  it('split of a condition that did not hold leaves that request without outcome', () => {
    const t: Transaction = {
      requests: [req('get'), req('delete', { onlyIf: stillRuns(7) })],
      stopOnError: false,
    };
    const [get] = t.requests as [NetlinkRequest];
    const [out] = split([t], [[ack(get.message.seq)], null]);
    expect(out).toEqual([[], undefined]);
  });
});
