import { describe, expect, it } from 'vitest';
import {
  MessageBuilder,
  NLM_F,
  NLMSG,
  attrMap,
  attrString,
  parseAck,
  parseAttrs,
  parseMessages,
} from '../../src/netlink/message.js';

describe('netlink message codec', () => {
  it('encodes header, family struct, attributes and nests with 4-byte alignment', () => {
    const m = new MessageBuilder(16, NLM_F.REQUEST | NLM_F.ACK)
      .raw(Buffer.alloc(16))
      .str(3, 'veth0')
      .nest(18, (n) => n.str(1, 'veth').u32(2, 7));
    const buf = m.build();
    expect(buf.readUInt32LE(0)).toBe(buf.length);
    expect(buf.length % 4).toBe(0);
    const [msg] = parseMessages(buf);
    expect(msg?.type).toBe(16);
    expect(msg?.seq).toBe(m.seq);
    const attrs = parseAttrs(msg!.payload.subarray(16));
    expect(attrs.map((a) => a.type)).toEqual([3, 18]);
    expect(attrString(attrs[0]?.data)).toBe('veth0');
    expect(attrs[1]?.nested).toBe(true);
    const inner = attrMap(attrs[1]!.data);
    expect(attrString(inner.get(1))).toBe('veth');
    expect(inner.get(2)?.readUInt32LE(0)).toBe(7);
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
