/**
 * The clsact hook BPF filters on 'ingress'/'egress' share, counted per interface in the process:
 * attaching adds clsact only when the kernel says the hook is missing, and the last of our
 * filters to go removes a clsact we added, and only when no filter is left on it.
 */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { namespaceGone, where, type DeviceTarget } from '../netlink/device.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { dumpFilters } from '../netlink/tc/filter.js';
import { deleteQdisc, newQdisc, resolveQdisc } from '../netlink/tc/qdisc.js';
import { HOOK_QDISC_HANDLE, PARENT_EGRESS, PARENT_INGRESS, TC_H } from '../netlink/tc/tca.js';
import { qdiscError } from './qdisc.js';
import { recordOwned, type OwnerToken } from './owner-record.js';
import { removed, runPlan, type RemovalPlan } from './tc-link.js';

interface HookState {
  /** Whether this process added the clsact. */
  created: boolean;
  /** How many of our open filter links use it. */
  users: number;
  /** The owner record entry of a clsact we added. */
  owner?: OwnerToken;
}

const hooks = new Map<string, HookState>();
const hookKeys = new WeakMap<DeviceTarget, string>();
/** The key of a target's hook (made once per target: two lookups per attach+detach). */
function hookKey(t: DeviceTarget): string {
  let k = hookKeys.get(t);
  if (k === undefined) hookKeys.set(t, (k = `${t.nsPath}\0${t.ifindex}`));
  return k;
}

/** Counts one more user of a hook this process already knows about; false when unknown. */
export function holdKnownHook(target: DeviceTarget): boolean {
  const state = hooks.get(hookKey(target));
  if (state) state.users++;
  return state !== undefined;
}

/**
 * Records one more user of a hook qdisc (created: whether we added it, with its owner record
 * entry).
 */
export function noteHook(target: DeviceTarget, created: boolean, owner?: OwnerToken): void {
  const state = hooks.get(hookKey(target));
  if (!state)
    hooks.set(hookKey(target), created && owner ? { created, users: 1, owner } : { created, users: 1 });
  else {
    state.users++;
    // a concurrent attach may have noted it first, as found in place: it is still ours
    if (created) {
      state.created = true;
      if (owner) state.owner = owner;
    }
  }
}

/** clsact additions in flight, per interface: concurrent attaches wait for the one adding it. */
const adding = new Map<string, Promise<unknown>>();

/** One user fewer of a hook whose namespace is gone (nothing to delete; forget it at 0). */
export function abandonHook(target: DeviceTarget): void {
  const key = hookKey(target);
  const state = hooks.get(key);
  if (!state || --state.users > 0) return;
  hooks.delete(key);
  state.owner?.forget();
}

/**
 * A filter that is kept (outlives the process) uses the hook: a clsact we added stays with it,
 * so it leaves the owner record (clean must not count on removing it).
 */
export function keepHook(target: DeviceTarget): void {
  const state = hooks.get(hookKey(target));
  state?.owner?.forget();
  if (state) delete state.owner;
}

/**
 * Makes sure the interface has a clsact (or ingress) qdisc for ingress/egress filters, adding
 * clsact when neither is there, and counts one more user.
 * @throws NotSupportedError when the kernel has no clsact.
 */
export async function acquireHook(sock: NetlinkSocket, target: DeviceTarget): Promise<void> {
  const key = hookKey(target);
  for (;;) {
    const state = hooks.get(key);
    if (state) {
      state.users++;
      return;
    }
    const inFlight = adding.get(key);
    if (!inFlight) break;
    await inFlight.catch(() => undefined);
  }
  const owner = recordOwned(target, { type: 'hook', ifindex: target.ifindex });
  const add = sock
    .request(
      newQdisc(target.ifindex, resolveQdisc({ kind: 'clsact' })),
      `add qdisc clsact on ${where(target)}`,
    )
    .then(
      () => true,
      (e: unknown) => {
        owner.forget();
        if (e instanceof NetlinkError && e.errno === ERRNO.EEXIST) return false;
        throw qdiscError(e, 'clsact', target);
      },
    );
  adding.set(key, add);
  try {
    const created = await add;
    noteHook(target, created, created ? owner : undefined);
  } finally {
    adding.delete(key);
  }
}

/**
 * One user fewer: when none is left and we added the clsact, the plan that deletes it if no
 * filter remains on either hook.
 */
export function* releaseHook(target: DeviceTarget): RemovalPlan {
  const key = hookKey(target);
  const state = hooks.get(key);
  if (!state) return;
  state.users--;
  if (state.users > 0) return;
  hooks.delete(key);
  if (!state.created) return;
  const operation = `list filters on ${where(target)}`;
  try {
    const dumps = yield [PARENT_INGRESS, PARENT_EGRESS].map((parent) => ({
      message: dumpFilters(target.ifindex, parent),
      operation,
    }));
    if (!dumps.every((d) => d !== undefined && !(d instanceof NetlinkError) && d.length === 0)) {
      state.owner?.forget(); // someone else's filters use it now
      return;
    }
    removed(
      yield [
        {
          message: deleteQdisc(target.ifindex, 'clsact', HOOK_QDISC_HANDLE, TC_H.CLSACT),
          operation: `delete qdisc clsact on ${where(target)}`,
        },
      ],
    );
  } catch (e) {
    if (namespaceGone(e)) state.owner?.forget(); // it went with its namespace
    throw e;
  }
  state.owner?.forget();
}

/** Releases a hook after a failed attach, best effort (the attach's error is what matters). */
export async function dropHook(sock: NetlinkSocket, target: DeviceTarget): Promise<void> {
  await runPlan(releaseHook(target), sock, target.nsPath).catch(() => undefined);
}
