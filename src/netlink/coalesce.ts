/**
 * Pipelining of a netlink socket's transactions: the transactions asked for while one is in
 * flight wait, then go to the kernel together in one native round trip, in the order asked
 * for, each keeping its own semantics (a stop-on-error transaction stops at its own first
 * refusal, never another's). Replies are matched to requests by sequence number (outcome()).
 * Pure logic: the socket (socket.ts) does the I/O.
 */
import type { NetlinkCondition } from '../../native/index.js';
import { NetlinkError } from '../errors.js';
import { nativeConditions, outcome, type NetlinkRequest, type Outcome } from './request.js';

/** One transaction: its requests and whether the first refusal ends it. */
export interface Transaction {
  requests: NetlinkRequest[];
  stopOnError: boolean;
}

/** Several transactions as one native call: the messages' requests and their conditions. */
export interface Combined {
  requests: NetlinkRequest[];
  conditions: (NetlinkCondition | null)[] | undefined;
}

/**
 * Whether a transaction can follow others in one native call: a condition on its first
 * request would be judged on the previous transaction's last request, so such a transaction
 * goes alone (where its first request has no previous one and is not sent).
 */
export function joinable(t: Transaction): boolean {
  return t.requests[0]?.onlyIf === undefined;
}

/**
 * The transactions' requests in order, with the conditions that keep each one's semantics:
 * in a stop-on-error transaction every request after the first is sent only when the one
 * before it was sent and accepted (a request's own condition implies that already).
 */
export function combine(txs: Transaction[]): Combined {
  const requests: NetlinkRequest[] = [];
  let any = false;
  const conditions: (NetlinkCondition | null)[] = [];
  for (const t of txs) {
    const own = nativeConditions(t.requests) ?? t.requests.map(() => null);
    t.requests.forEach((r, i) => {
      requests.push(r);
      let c = own[i] ?? null;
      if (c === null && t.stopOnError && i > 0) c = {};
      if (c !== null) any = true;
      conditions.push(c);
    });
  }
  return { requests, conditions: any ? conditions : undefined };
}

/**
 * Each transaction's outcomes from the combined call's reply datagrams (one entry per request,
 * null when not sent). A stop-on-error transaction's outcomes end at its first refusal.
 */
export function split(txs: Transaction[], datagrams: (Buffer[] | null)[]): (Outcome | undefined)[][] {
  let at = 0;
  return txs.map((t) => {
    const out = t.requests.map((r, i) => outcome(r, datagrams[at + i]));
    at += t.requests.length;
    if (!t.stopOnError) return out;
    const failed = out.findIndex((o) => o instanceof NetlinkError);
    return failed >= 0 ? out.slice(0, failed + 1) : out;
  });
}
