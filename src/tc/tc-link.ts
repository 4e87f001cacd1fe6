/**
 * The base of every tc attachment Link (qdisc, class, filter, ifb device): it remembers exactly
 * what it created, removes it on close(), and is closed synchronously at exit by the resource
 * registry unless the caller asked to keep it. Each Link writes its removal once, as a plan
 * (lookups, then the deletions they call for) that runs asynchronously on close() and
 * synchronously at exit.
 */
import type { Link } from '../core/link.js';
import { track, untrack, type Closeable } from '../resources.js';
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { logger } from '../logger.js';
import { namespaceGone } from '../netlink/device.js';
import {
  transactInSync,
  transactOn,
  type NetlinkRequest,
  type NetlinkSocket,
  type Outcome,
} from '../netlink/socket.js';
import type { OwnerToken } from './owner-record.js';

/** Options every tc Link shares. */
export interface KeepOption {
  /**
   * Leave the object in the kernel when the process exits without closing the Link (tc
   * objects outlive their creator). close() still removes it. Default false: removed at exit.
   */
  keep?: boolean;
}

/**
 * A removal plan: it yields each batch of requests to run (a lookup, a deletion) and receives
 * their outcomes (undefined for a request whose `onlyIf` did not hold), so one plan serves the
 * asynchronous and the synchronous path.
 */
export type RemovalPlan = Generator<NetlinkRequest[], void, (Outcome | undefined)[]>;

/** ENOENT / ENODEV answers to a deletion mean "already gone". */
const GONE = new Set<number>([ERRNO.ENOENT, ERRNO.ENODEV]);

/**
 * Checks the outcomes of deletions: an object already gone is fine.
 * @throws NetlinkError when the kernel refused a deletion for another reason.
 */
export function removed(outcomes: (Outcome | undefined)[]): void {
  for (const r of outcomes) if (r instanceof NetlinkError && !GONE.has(r.errno)) throw r;
}

/** Runs a plan, each batch on `sock` (or a one-shot socket in nsPath when it is closed). */
export async function runPlan(
  plan: RemovalPlan,
  sock: NetlinkSocket | undefined,
  nsPath: string,
): Promise<void> {
  let step = plan.next([]);
  while (!step.done) {
    let outcomes: (Outcome | undefined)[];
    try {
      outcomes = await transactOn(sock, nsPath, step.value);
    } catch (e) {
      step = plan.throw(e); // the plan may react (and rethrows when it does not catch)
      continue;
    }
    step = plan.next(outcomes);
  }
}

/**
 * Runs a plan on `sock` synchronously while the socket runs its requests on the JS thread
 * ({@link NetlinkSocket.allNow}); the rest, from the first batch it does not, as
 * {@link runPlan} does. @returns undefined when the plan is done, else a promise for the rest.
 */
export function runPlanNow(
  plan: RemovalPlan,
  sock: NetlinkSocket | undefined,
  nsPath: string,
): Promise<void> | undefined {
  let step = plan.next([]);
  while (!step.done) {
    let outcomes: (Outcome | undefined)[] | undefined;
    try {
      outcomes = step.value.length === 0 ? [] : sock && !sock.closed ? sock.allNow(step.value) : undefined;
    } catch (e) {
      step = plan.throw(e);
      continue;
    }
    if (outcomes === undefined) return finishPlan(plan, step.value, sock, nsPath);
    step = plan.next(outcomes);
  }
  return undefined;
}

/** The rest of runPlanNow's plan, from the batch `requests`, as runPlan runs it. */
async function finishPlan(
  plan: RemovalPlan,
  requests: NetlinkRequest[],
  sock: NetlinkSocket | undefined,
  nsPath: string,
): Promise<void> {
  let batch = requests;
  for (;;) {
    let outcomes: (Outcome | undefined)[];
    let step: IteratorResult<NetlinkRequest[], void>;
    try {
      outcomes = await transactOn(sock, nsPath, batch);
    } catch (e) {
      step = plan.throw(e); // the plan may react (and rethrows when it does not catch)
      if (step.done) return;
      batch = step.value;
      continue;
    }
    step = plan.next(outcomes);
    if (step.done) return;
    batch = step.value;
  }
}

/** Runs a plan synchronously in nsPath (for clean-up at exit). */
export function runPlanSync(plan: RemovalPlan, nsPath: string): void {
  let step = plan.next([]);
  while (!step.done) {
    let outcomes: (Outcome | undefined)[];
    try {
      outcomes = step.value.length ? transactInSync(nsPath, step.value) : [];
    } catch (e) {
      step = plan.throw(e);
      continue;
    }
    step = plan.next(outcomes);
  }
}

/** A tc object this process created, removed by close(). */
export abstract class TcObjectLink implements Link, Closeable {
  private isClosed = false;
  private readonly tracked: boolean;
  private owner: OwnerToken | undefined;

  protected constructor(
    /** The namespace path the object lives in. */
    readonly nsPath: string,
    keep: boolean | undefined,
    /** The socket used while it is open (closing falls back to a one-shot socket). */
    protected sock: NetlinkSocket | undefined,
  ) {
    this.tracked = !keep;
  }

  /**
   * Registers with the exit registry; subclasses call it once fully constructed, with the
   * token of the owner record entry made before the object was created (see owner-record.ts),
   * which is forgotten once the object has been removed.
   */
  protected register(owner?: OwnerToken): void {
    this.owner = owner;
    if (this.tracked) track(this);
  }

  abstract readonly description: string;

  /** Called when the object's namespace was gone at removal: forget shared state about it. */
  protected namespaceLost(): void {
    // nothing by default
  }

  /** How the object is removed (see {@link RemovalPlan}); deletions' outcomes go to {@link removed}. */
  protected abstract removal(): RemovalPlan;

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Removes the object from the kernel; idempotent. An object already gone is not an error.
   * @throws NetlinkError when the kernel refuses the removal for another reason.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    try {
      const rest = runPlanNow(this.removal(), this.sock, this.nsPath);
      if (rest) await rest;
    } catch (e) {
      // A namespace that no longer exists took everything in it along.
      if (!namespaceGone(e)) throw e; // stays in the owner record for `tsbcc tc clean`
      this.namespaceLost();
    }
    this.owner?.forget();
  }

  /** Removes the object synchronously (used by the exit registry); idempotent, never throws. */
  closeSync(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    try {
      runPlanSync(this.removal(), this.nsPath);
    } catch (e) {
      if (!namespaceGone(e)) {
        logger().warn(`removing ${this.description} failed`, { error: (e as Error).message });
        return; // stays in the owner record for `tsbcc tc clean`
      }
      this.namespaceLost();
    }
    this.owner?.forget();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
