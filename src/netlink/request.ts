/**
 * Netlink requests and what they came to: a request (message, description, condition), the
 * matching of reply datagrams to it by sequence number, and its condition in the addon's form.
 */
import type { NetlinkCondition } from '../../native/index.js';
import { errnoName } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { MessageBuilder, NLMSG, parseAck, parseMessages, type NetlinkMessage } from './message.js';

/**
 * When a request is sent, judged on the request just before it in the same batch (in the same
 * native round trip, so a lookup and the change it allows cost one): `accepted` — that request
 * was sent and the kernel did not refuse it; `carries` — that, and one of its reply messages of
 * nlmsg_type `type` holds the u32 `value` at the nested attribute `path` (attribute types,
 * outermost first) after `headerLen` bytes of family header.
 */
export type RequestCondition =
  | { previous: 'accepted' }
  | { previous: 'carries'; type: number; headerLen: number; path: number[]; value: number };

/** One step of a batch: the message and a description used in errors. */
export interface NetlinkRequest {
  message: MessageBuilder;
  operation: string;
  /** Send only when this holds (default: always); a request not sent has no outcome. */
  onlyIf?: RequestCondition;
}

/** What one request came to: its reply messages, or the error the kernel answered. */
export type Outcome = NetlinkMessage[] | NetlinkError;

/** The conditions in the native addon's form (null: always), or undefined when there are none. */
export function nativeConditions(requests: NetlinkRequest[]): (NetlinkCondition | null)[] | undefined {
  if (!requests.some((r) => r.onlyIf)) return undefined;
  return requests.map(({ onlyIf: c }) => {
    if (!c) return null;
    if (c.previous === 'accepted') return {};
    const { type, headerLen, path, value } = c;
    return { match: { type, headerLen, path, value } };
  });
}

/**
 * The replies to one request (those with its sequence number), or its NetlinkError; undefined
 * when it was not sent (null datagrams).
 */
export function outcome(r: NetlinkRequest, datagrams: Buffer[] | null | undefined): Outcome | undefined {
  if (datagrams === null) return undefined;
  const out: NetlinkMessage[] = [];
  for (const d of datagrams ?? []) {
    for (const m of parseMessages(d)) {
      if (m.seq !== r.message.seq) continue;
      if (m.type === NLMSG.ERROR) {
        const ack = parseAck(m);
        if (ack.errno !== 0)
          return new NetlinkError(r.operation, ack.errno, errnoName(ack.errno), ack.extack);
      } else if (m.type !== NLMSG.DONE && m.type !== NLMSG.NOOP) {
        out.push(m);
      }
    }
  }
  return out;
}
