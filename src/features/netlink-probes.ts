/**
 * Probes for link kinds, qdiscs, classifiers and actions, run as netlink requests in a fresh,
 * throwaway network namespace. The kernel says "unknown kind" in a recognisable way (EOPNOTSUPP
 * for links, ENOENT for tc objects, with an extended-ack text); any other answer means the kind
 * exists.
 */
import { NetlinkError } from '../errors.js';
import { MessageBuilder, NLM_F } from '../netlink/message.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';

const RTM_NEWLINK = 16;
const RTM_NEWQDISC = 36;
const RTM_NEWTFILTER = 44;
const RTM_NEWACTION = 48;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const TCA_KIND = 1;
const TCA_ACT_TAB = 1;
const TCA_ACT_KIND = 1;
const TC_H_CLSACT = 0xfffffff1;
const TC_H_ROOT = 0xffffffff;
const ETH_P_ALL_BE = 0x0300;
const LO = 1;
const VETH_INDEX = 100;

const CREATE = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;

function ifinfomsg(index = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  return b;
}

function tcmsg(ifindex: number, handle: number, parent: number, info = 0): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(handle >>> 0, 8);
  b.writeUInt32LE(parent >>> 0, 12);
  b.writeUInt32LE(info >>> 0, 16);
  return b;
}

function link(
  kind: string,
  name: string,
  index: number,
  data?: (m: MessageBuilder) => void,
  parent?: number,
): MessageBuilder {
  const m = new MessageBuilder(RTM_NEWLINK, CREATE).raw(ifinfomsg(index)).str(IFLA_IFNAME, name);
  if (parent !== undefined) m.u32(IFLA_LINK, parent);
  m.nest(IFLA_LINKINFO, (li) => {
    li.str(IFLA_INFO_KIND, kind);
    if (data) li.nest(IFLA_INFO_DATA, data);
  });
  return m;
}

function qdisc(kind: string, ifindex: number, handle: number, parent: number): MessageBuilder {
  return new MessageBuilder(RTM_NEWQDISC, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.REPLACE)
    .raw(tcmsg(ifindex, handle, parent))
    .str(TCA_KIND, kind);
}

/** What a probe asks, and how to read the answer. */
interface KindProbe {
  feature: string;
  request: NetlinkRequest;
  /** Whether the error means "this kind does not exist". */
  missing: (e: NetlinkError) => boolean;
}

const unknownLink = (e: NetlinkError): boolean =>
  e.errno === 95 && /unknown device type/i.test(e.extack ?? 'unknown device type');
const unknownTc = (e: NetlinkError): boolean =>
  e.errno === 2 && /unknown|not found|load/i.test(e.extack ?? 'unknown');

function probes(): KindProbe[] {
  const l = (feature: string, m: MessageBuilder): KindProbe => ({
    feature,
    request: { message: m, operation: `probe ${feature}` },
    missing: unknownLink,
  });
  const t = (feature: string, m: MessageBuilder): KindProbe => ({
    feature,
    request: { message: m, operation: `probe ${feature}` },
    missing: unknownTc,
  });
  return [
    // veth first, at a known ifindex, so later probes can use it as a parent device.
    l(
      'veth',
      link('veth', 'p0', VETH_INDEX, (d) =>
        d.nest(1 /* VETH_INFO_PEER */, (p) => p.raw(ifinfomsg()).str(IFLA_IFNAME, 'p1')),
      ),
    ),
    l('bridge', link('bridge', 'br0', 0)),
    l(
      'vxlan',
      link('vxlan', 'vx0', 0, (d) => d.u32(1 /* IFLA_VXLAN_ID */, 42)),
    ),
    l('dummy', link('dummy', 'd0', 0)),
    l('ifb', link('ifb', 'ifbp0', 0)),
    l(
      '8021q',
      link('vlan', 'p0.5', 0, (d) => d.u16(1 /* IFLA_VLAN_ID */, 5), VETH_INDEX),
    ),
    t('clsact', qdisc('clsact', LO, 0xffff0000, TC_H_CLSACT)),
    t('ingress', qdisc('ingress', VETH_INDEX, 0xffff0000, TC_H_CLSACT)),
    t(
      'cls_bpf',
      new MessageBuilder(RTM_NEWTFILTER, CREATE)
        .raw(tcmsg(LO, 0, 0xfffffff2, (1 << 16) | ETH_P_ALL_BE))
        .str(TCA_KIND, 'bpf'),
    ),
    t('htb', qdisc('htb', LO, 0x10000, TC_H_ROOT)),
    t('tbf', qdisc('tbf', LO, 0x20000, TC_H_ROOT)),
    t('sfq', qdisc('sfq', LO, 0x30000, TC_H_ROOT)),
    t('prio', qdisc('prio', LO, 0x40000, TC_H_ROOT)),
    t('fq_codel', qdisc('fq_codel', LO, 0x50000, TC_H_ROOT)),
    t('netem', qdisc('netem', LO, 0x60000, TC_H_ROOT)),
    ...(['police', 'gact', 'bpf', 'mirred'] as const).map((kind) =>
      t(
        `act_${kind}`,
        new MessageBuilder(RTM_NEWACTION, CREATE)
          .raw(Buffer.alloc(4))
          .nest(TCA_ACT_TAB, (tab) => tab.nest(1, (a) => a.str(TCA_ACT_KIND, kind))),
      ),
    ),
  ];
}

/** The raw outcome of one kind probe. */
export interface KindProbeResult {
  feature: string;
  present: boolean;
  /** errno and extack of the answer (0 when the request succeeded). */
  errno: number;
  extack?: string;
}

/** Runs every kind probe in one fresh namespace. */
export async function probeKinds(): Promise<KindProbeResult[]> {
  const list = probes();
  const results = await transactIn(
    '@fresh',
    list.map((p) => p.request),
  );
  return list.map((p, i) => {
    const r = results[i];
    if (r instanceof NetlinkError) {
      const out: KindProbeResult = { feature: p.feature, present: !p.missing(r), errno: r.errno };
      if (r.extack) out.extack = r.extack;
      return out;
    }
    return { feature: p.feature, present: true, errno: 0 };
  });
}
