/**
 * Property-based and fuzz tests of the netlink decoders: random bytes, truncated and mutated
 * messages of the shapes the kernel sends (acks with extended-ack text, links, addresses,
 * qdiscs, tc filters, sock_diag). Every input decodes to a result or a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listAddresses } from '../../src/netlink/address.js';
import { interfaceIndex } from '../../src/netlink/device.js';
import { IFLA, LINK_MSG } from '../../src/netlink/ifla.js';
import { parseLink } from '../../src/netlink/link.js';
import {
  buildMessage,
  MessageBuilder,
  NLM_F,
  NLMSG,
  NLMSGERR_ATTRS,
  parseAck,
  parseMessages,
  type NetlinkMessage,
} from '../../src/netlink/message.js';
import { RTM } from '../../src/netlink/rtnetlink.js';
import { attrRun, decodeAttrs, decodeMessage, encodeAttrs, nestPayload } from '../../src/netlink/schema.js';
import type { NetlinkSocket } from '../../src/netlink/socket.js';
import { TCA_BPF } from '../../src/netlink/tc/filter/bpf.js';
import { TC_MSG } from '../../src/netlink/tc/tca.js';
import { parseFilterReply } from '../../src/tc/filter-list.js';
import { listQdiscs } from '../../src/tc/qdisc.js';
import { listeningTcpPorts } from '../../src/topology/listening.js';
import { bytes, fuzzParams, mutated, truncated, typedOrResult, typedOrResultAsync } from './helpers/fuzz.js';

const align4 = (n: number): number => (n + 3) & ~3;

/** Attributes as they sit in a message (raw TLVs: the fuzz inputs are arbitrary type ids). */
function tlvs(attrs: AttrSpec[]): Buffer {
  return Buffer.concat(
    attrs.map((a) => {
      const b = Buffer.alloc(align4(4 + a.data.length));
      b.writeUInt16LE(4 + a.data.length, 0);
      b.writeUInt16LE(a.type, 2);
      Buffer.from(a.data).copy(b, 4);
      return b;
    }),
  );
}

/** The attributes of a run, as type and data. */
const parseAttrs = (b: Buffer): { type: number; data: Buffer }[] =>
  [...attrRun(b)].map((a) => ({ type: a.id, data: a.data }));

interface AttrSpec {
  type: number;
  data: Uint8Array;
}
interface MsgSpec {
  type: number;
  flags: number;
  header: Uint8Array;
  attrs: AttrSpec[];
}

const attrArb: fc.Arbitrary<AttrSpec> = fc.record({
  type: fc.integer({ min: 0, max: 0x3fff }),
  data: fc.uint8Array({ maxLength: 40 }),
});
const msgArb: fc.Arbitrary<MsgSpec> = fc.record({
  type: fc.integer({ min: 16, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  // family headers are multiples of 4 in every family tsbcc decodes
  header: fc.integer({ min: 0, max: 6 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 })),
  attrs: fc.array(attrArb, { maxLength: 6 }),
});

function build(s: MsgSpec): MessageBuilder {
  return new MessageBuilder(s.type, s.flags, Buffer.concat([Buffer.from(s.header), tlvs(s.attrs)]));
}

/** A message as the kernel frames it, around a payload. */
function frame(type: number, flags: number, payload: Buffer, seq = 1): Buffer {
  const b = Buffer.alloc(16 + align4(payload.length));
  b.writeUInt32LE(16 + payload.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  payload.copy(b, 16);
  return b;
}

const msg = (type: number, payload: Buffer, flags = 0): NetlinkMessage => ({
  type,
  flags,
  seq: 1,
  pid: 0,
  payload,
});

/** A cls_bpf filter reply as a kernel dump carries it. */
function filterReply(f: {
  ifindex: number;
  handle: number;
  parent: number;
  info: number;
  name: string;
  id: number;
  tag: Uint8Array;
  flags: number;
  classid?: number;
  chain?: number;
}): Buffer {
  return buildMessage(RTM.NEWTFILTER, 0, TC_MSG, {
    header: { tcm_ifindex: f.ifindex, tcm_handle: f.handle, tcm_parent: f.parent, tcm_info: f.info },
    attrs: {
      KIND: 'bpf',
      CHAIN: f.chain,
      OPTIONS: nestPayload(TCA_BPF, {
        NAME: f.name,
        ID: f.id,
        TAG: Buffer.from(f.tag),
        FLAGS: f.flags,
        CLASSID: f.classid,
      }),
    },
  }).build();
}

const filterArb = fc.record(
  {
    ifindex: fc.integer({ min: 1, max: 0x7fffffff }),
    handle: fc.nat({ max: 0xffffffff }),
    parent: fc.nat({ max: 0xffffffff }),
    info: fc.nat({ max: 0xffffffff }),
    name: fc.stringMatching(/^tsbcc:[\w.-]{1,40}$/),
    id: fc.nat({ max: 0xffffffff }),
    tag: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    flags: fc.nat({ max: 0xffffffff }),
    classid: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
    chain: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
  },
  { requiredKeys: ['ifindex', 'handle', 'parent', 'info', 'name', 'id', 'tag', 'flags'] },
);

/** An RTM_NEWLINK reply with a name, MTU, master and kind. */
function linkReply(index: number, name: string, mtu: number, master: number, kind: string): Buffer {
  return buildMessage(RTM.NEWLINK, 0, LINK_MSG, {
    header: { ifi_index: index, ifi_flags: 0x10001 },
    attrs: { IFNAME: name, MTU: mtu, MASTER: master, LINKINFO: { KIND: kind } },
  }).build();
}

/** An NLMSG_ERROR with extended-ack TLVs (the original header echoed, capped). */
function ackReply(errno: number, text: string): Buffer {
  const payload = new MessageBuilder(NLMSG.ERROR, NLM_F.CAPPED | NLM_F.ACK_TLVS);
  const head = Buffer.alloc(4 + 16);
  head.writeInt32LE(-errno, 0);
  head.writeUInt32LE(16, 4);
  payload.raw(head).raw(encodeAttrs(NLMSGERR_ATTRS, { MSG: text }));
  return payload.build();
}

/** Every decoder tsbcc runs on one reply message. */
function decodeAll(m: NetlinkMessage): void {
  typedOrResult(() => parseAck(m));
  typedOrResult(() => parseLink(m));
  typedOrResult(() => decodeMessage(TC_MSG, m.payload));
  typedOrResult(() => parseFilterReply(m));
  typedOrResult(() => parseAttrs(m.payload));
  typedOrResult(() => decodeAttrs(IFLA, m.payload));
}

/** A socket that answers every request with the given messages (pure decoding only). */
function fakeSocket(replies: NetlinkMessage[]): NetlinkSocket {
  return {
    nsPath: '',
    request: async () => replies,
    batch: async (reqs: unknown[]) => reqs.map(() => replies),
    all: async (reqs: unknown[]) => reqs.map(() => replies),
  } as unknown as NetlinkSocket;
}

describe('netlink decoders under random and damaged input', () => {
  it('parseMessages and parseAttrs never throw and never read outside the datagram', () => {
    fc.assert(
      fc.property(bytes(512), (buf) => {
        const msgs = parseMessages(buf);
        let total = 0;
        for (const m of msgs) {
          total += 16 + m.payload.length;
          expect(m.payload.buffer).toBe(buf.buffer);
          for (const a of parseAttrs(m.payload)) expect(a.data.length).toBeLessThanOrEqual(m.payload.length);
        }
        expect(total).toBeLessThanOrEqual(buf.length);
        for (const a of parseAttrs(buf)) expect(a.data.length + 4).toBeLessThanOrEqual(buf.length);
      }),
      fuzzParams(1000),
    );
  });

  it('round trip: built messages parse back to their type, flags, seq, header and attributes', () => {
    fc.assert(
      fc.property(fc.array(msgArb, { minLength: 1, maxLength: 5 }), (specs) => {
        const built = specs.map(build);
        const parsed = parseMessages(Buffer.concat(built.map((b) => b.build())));
        expect(parsed).toHaveLength(specs.length);
        specs.forEach((s, i) => {
          const p = parsed[i] as NetlinkMessage;
          expect(p.type).toBe(s.type);
          expect(p.flags).toBe(s.flags);
          expect(p.seq).toBe(built[i]?.seq);
          expect([...p.payload.subarray(0, s.header.length)]).toEqual([...s.header]);
          const attrs = parseAttrs(p.payload.subarray(s.header.length));
          expect(attrs.map((a) => [a.type, [...a.data]])).toEqual(s.attrs.map((a) => [a.type, [...a.data]]));
        });
      }),
      fuzzParams(300),
    );
  });

  it('a truncated datagram yields exactly the messages that fit whole', () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (specs, cut) => {
          const parts = specs.map((s) => build(s).build());
          const whole = Buffer.concat(parts);
          const n = Math.floor(whole.length * cut);
          let fit = 0;
          for (let end = 0, i = 0; i < parts.length; i++) {
            // a message fits when its declared length (unpadded) is inside the cut
            const declared = (parts[i] as Buffer).readUInt32LE(0);
            if (end + declared > n) break;
            end += align4(declared);
            fit++;
          }
          expect(parseMessages(whole.subarray(0, n))).toHaveLength(fit);
        },
      ),
      fuzzParams(300),
    );
  });

  it('every decoder answers random payloads with a result or a typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        bytes(200),
        (type, flags, payload) => {
          decodeAll(msg(type, payload, flags));
        },
      ),
      fuzzParams(1500),
    );
  });

  it('acks with extended-ack text: exact when whole, a result or a typed error when damaged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4095 }), fc.string({ maxLength: 80 }), (errno, text) => {
        const wire = ackReply(errno, text.replaceAll('\0', ''));
        const [m] = parseMessages(wire);
        expect(parseAck(m as NetlinkMessage)).toEqual({
          errno,
          ...(text.replaceAll('\0', '') ? { extack: text.replaceAll('\0', '') } : {}),
        });
        fc.assert(
          fc.property(truncated(wire.subarray(16)), mutated(wire.subarray(16)), (cut, bad) => {
            typedOrResult(() => parseAck(msg(NLMSG.ERROR, cut, NLM_F.CAPPED | NLM_F.ACK_TLVS)));
            typedOrResult(() => parseAck(msg(NLMSG.ERROR, bad, NLM_F.ACK_TLVS)));
            typedOrResult(() => parseAck(msg(NLMSG.ERROR, cut, 0)));
          }),
          { numRuns: 10 },
        );
      }),
      fuzzParams(100),
    );
  });

  it('tc filter replies: exact when whole; truncated or mutated ones give a result or a typed error', () => {
    fc.assert(
      fc.property(filterArb, (f) => {
        const wire = filterReply(f);
        const [m] = parseMessages(wire);
        const info = parseFilterReply(m as NetlinkMessage);
        expect(info).toMatchObject({
          kind: 'bpf',
          parent: f.parent,
          handle: f.handle,
          priority: f.info >>> 16,
          protocolRaw: f.info & 0xffff,
          chain: f.chain ?? 0,
          name: f.name,
          programId: f.id,
          programTag: Buffer.from(f.tag).toString('hex'),
          directAction: (f.flags & 1) !== 0,
          ours: true,
        });
        expect(info.classid).toBe(f.classid);
        fc.assert(
          fc.property(truncated(wire.subarray(16)), mutated(wire.subarray(16)), (cut, bad) => {
            typedOrResult(() => parseFilterReply(msg(RTM.NEWTFILTER, cut)));
            typedOrResult(() => parseFilterReply(msg(RTM.NEWTFILTER, bad)));
          }),
          { numRuns: 20 },
        );
      }),
      fuzzParams(100),
    );
  });

  it('link replies: exact when whole; truncated or mutated ones give a result or a typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.stringMatching(/^[a-z]{1,10}$/),
        (index, name, mtu, master, kind) => {
          const wire = linkReply(index, name, mtu, master, kind);
          const [m] = parseMessages(wire);
          expect(parseLink(m as NetlinkMessage)).toMatchObject({
            index,
            name,
            mtu,
            master,
            kind,
            up: true,
            lowerUp: true,
          });
          fc.assert(
            fc.property(truncated(wire.subarray(16)), mutated(wire.subarray(16)), (cut, bad) => {
              typedOrResult(() => parseLink(msg(RTM.NEWLINK, cut)));
              typedOrResult(() => parseLink(msg(RTM.NEWLINK, bad)));
            }),
            { numRuns: 20 },
          );
        },
      ),
      fuzzParams(100),
    );
  });

  it('dumps decoded through a socket (addresses, qdiscs, interface index, TCP listeners) give a result or a typed error', async () => {
    const target = { netns: undefined, nsPath: '', interface: 'x0', ifindex: 3 };
    const reply = fc.record({ type: fc.constantFrom(16, 20, 36, 44, 20, 1, 3), payload: bytes(96) });
    await fc.assert(
      fc.asyncProperty(fc.array(reply, { maxLength: 4 }), async (rs) => {
        const msgs = rs.map((r) => msg(r.type, r.payload));
        // frames built as the kernel would, then parsed, as collect() does
        for (const m of parseMessages(Buffer.concat(msgs.map((x) => frame(x.type, 0, x.payload)))))
          decodeAll(m);
        const sock = fakeSocket(msgs);
        await typedOrResultAsync(() => listAddresses(sock));
        await typedOrResultAsync(() => listQdiscs(sock, target));
        await typedOrResultAsync(() => interfaceIndex(sock, 'x0', undefined));
        await typedOrResultAsync(() => listeningTcpPorts(sock));
      }),
      fuzzParams(400),
    );
  });
});
