import { describe, expect, it } from 'vitest';
import { LINK_MSG } from '../../src/netlink/ifla.js';
import {
  buildMessage,
  MessageBuilder,
  NLM_F,
  NLMSG,
  parseAck,
  parseMessages,
} from '../../src/netlink/message.js';
import { attrRun, decodeMessage } from '../../src/netlink/schema.js';

describe('netlink message codec', () => {
  it('encodes header, family struct, attributes and nests with 4-byte alignment', () => {
    const m = buildMessage(16, NLM_F.REQUEST | NLM_F.ACK, LINK_MSG, {
      attrs: { IFNAME: 'veth0', LINKINFO: { KIND: 'veth' }, MTU: 7 },
    });
    const buf = m.build();
    expect(buf.readUInt32LE(0)).toBe(buf.length);
    expect(buf.length % 4).toBe(0);
    const [msg] = parseMessages(buf);
    expect(msg?.type).toBe(16);
    expect(msg?.seq).toBe(m.seq);
    const attrs = [...attrRun(msg!.payload.subarray(16))];
    expect(attrs.map((a) => a.id)).toEqual([3, 18, 4]);
    expect(attrs.map((a) => a.nested)).toEqual([false, true, false]);
    expect(decodeMessage(LINK_MSG, msg!.payload).attrs).toEqual({
      IFNAME: 'veth0',
      LINKINFO: { KIND: 'veth' },
      MTU: 7,
    });
  });

  it('decodes an error ack with its extended-ack message', () => {
    const orig = Buffer.alloc(16);
    orig.writeUInt32LE(16, 0);
    const tlvText = Buffer.from('Unknown device type\0');
    const tlv = Buffer.alloc(4 + ((tlvText.length + 3) & ~3));
    tlv.writeUInt16LE(4 + tlvText.length, 0);
    tlv.writeUInt16LE(1, 2);
    tlvText.copy(tlv, 4);
    const payload = Buffer.concat([Buffer.from([0xa1, 0xff, 0xff, 0xff]), orig, tlv]);
    const ack = parseAck({
      type: NLMSG.ERROR,
      flags: NLM_F.CAPPED | NLM_F.ACK_TLVS,
      seq: 1,
      pid: 0,
      payload,
    });
    expect(ack).toEqual({ errno: 95, extack: 'Unknown device type' });
  });

  it('gives each message its own sequence number', () => {
    expect(new MessageBuilder(1, 0).seq).not.toBe(new MessageBuilder(1, 0).seq);
  });
});
