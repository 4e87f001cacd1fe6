/**
 * Probes for link kinds, qdiscs, classifiers and actions, run as netlink requests in a fresh,
 * throwaway network namespace. The kernel says "unknown kind" in a recognisable way (EOPNOTSUPP
 * for links, ENOENT for tc objects, with an extended-ack text); any other answer means the kind
 * exists. The tc probes come from the tc object model (one per kind it declares).
 */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { IFLA_VLAN, LINK_INFO_DATA, LINK_MSG, VETH_INFO } from '../netlink/ifla.js';
import { buildMessage, REQUEST, type MessageBuilder } from '../netlink/message.js';
import { RTM } from '../netlink/rtnetlink.js';
import { nestPayload, type Payload } from '../netlink/schema.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { PROBE_VETH_INDEX, probeSaysMissing, tcKindProbes } from '../netlink/tc/probe.js';

function link(kind: string, name: string, index: number, data?: Payload, parent?: number): MessageBuilder {
  return buildMessage(RTM.NEWLINK, REQUEST.CREATE, LINK_MSG, {
    header: { ifi_index: index },
    attrs: { IFNAME: name, LINK: parent, LINKINFO: { KIND: kind, DATA: data } },
  });
}

/** What a probe asks, and how to read the answer. */
interface KindProbe {
  feature: string;
  request: NetlinkRequest;
  /** Whether the error means "this kind does not exist". */
  missing: (e: NetlinkError) => boolean;
}

const unknownLink = (e: NetlinkError): boolean =>
  e.errno === ERRNO.EOPNOTSUPP && /unknown device type/i.test(e.extack ?? 'unknown device type');

function probes(): KindProbe[] {
  const l = (feature: string, m: MessageBuilder): KindProbe => ({
    feature,
    request: { message: m, operation: `probe ${feature}` },
    missing: unknownLink,
  });
  return [
    // veth first, at a known ifindex, so later probes can use it as a parent device.
    l(
      'veth',
      link('veth', 'p0', PROBE_VETH_INDEX, nestPayload(VETH_INFO, { PEER: { attrs: { IFNAME: 'p1' } } })),
    ),
    l('bridge', link('bridge', 'br0', 0)),
    l('vxlan', link('vxlan', 'vx0', 0, nestPayload(LINK_INFO_DATA.vxlan, { ID: 42 }))),
    l('dummy', link('dummy', 'd0', 0)),
    l('ifb', link('ifb', 'ifbp0', 0)),
    l('8021q', link('vlan', 'p0.5', 0, nestPayload(IFLA_VLAN, { ID: 5 }), PROBE_VETH_INDEX)),
    ...tcKindProbes().map((p) => ({
      feature: p.feature,
      request: { message: p.message, operation: `probe ${p.feature}` },
      missing: probeSaysMissing,
    })),
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
