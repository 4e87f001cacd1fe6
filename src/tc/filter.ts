/**
 * cls_bpf filters as Links: in direct-action mode (the program's return value is the verdict)
 * or classid mode (the return value picks a class; actions run on a match), with a name,
 * priority, handle and chain, on ingress, egress or any parent. The options are checked and
 * encoded by the tc object model (src/netlink/tc/filter.ts, filter/bpf.ts); the Link remembers
 * the exact (parent, priority, protocol, handle, chain) the kernel gave the filter and removes
 * that filter on close(), only while it still runs our program.
 */
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { features } from '../features/probe.js';
import { logger } from '../logger.js';
import { where, type DeviceTarget } from '../netlink/device.js';
import { MessageBuilder, type NetlinkMessage } from '../netlink/message.js';
import { RTM, TCMSG } from '../netlink/rtnetlink.js';
import { ids } from '../netlink/schema.js';
import {
  transactOn,
  type NetlinkRequest,
  type NetlinkSocket,
  type Outcome,
  type RequestCondition,
} from '../netlink/socket.js';
import { TCA_BPF } from '../netlink/tc/filter/bpf.js';
import { Check } from '../netlink/tc/check.js';
import {
  checkFilter,
  filterParent,
  filterRequest,
  newFilter,
  newFilterBody,
  newFilterFlags,
  parentName,
  type CheckedFilter,
  type FilterParent,
  type FilterPlace,
  type FilterSpec,
} from '../netlink/tc/filter.js';
import { isUnknownTcKind } from '../netlink/tc/probe.js';
import { findKind } from '../netlink/tc/registry.js';
import { PARENT_EGRESS, PARENT_INGRESS, TCA } from '../netlink/tc/tca.js';
import type { HandleInput } from '../netlink/tc/units.js';
import { actionSpec, type TcAction } from './actions.js';
import { listFilters, parseFilterReply, TSBCC_FILTER_PREFIX, type FilterInfo } from './filter-list.js';
import {
  abandonHook,
  acquireHook,
  dropHook,
  holdKnownHook,
  keepHook,
  noteHook,
  releaseHook,
} from './hook.js';
import { kindNotSupported, notSupported } from './not-supported.js';
import { recordOwned, type OwnerToken } from './owner-record.js';
import { removed, TcObjectLink, type KeepOption, type RemovalPlan } from './tc-link.js';

export { parentName, type FilterParent };

const TCA_IDS = ids(TCA);
const TCA_BPF_IDS = ids(TCA_BPF);

/** Options of a cls_bpf filter. */
export interface BpfFilterOptions extends KeepOption, FilterPlace {
  /**
   * Direct action (default, unless classid or actions are given): the program's return value
   * is the tc verdict (TC_ACT_OK, TC_ACT_SHOT, ...) and skb->tc_classid (16 bits: the class
   * minor) picks the class; the major comes from `classid`, which defaults to the major of a
   * classful parent (so under htb "1:", tc_classid = 0x10 selects class 1:10).
   * Classid mode (false): 0 = no match, -1 = the filter's classid, else the class to use, and
   * the actions run on a match.
   */
  directAction?: boolean;
  /** The class a match goes to in classid mode when the program returns -1 (e.g. "1:10"). */
  classid?: HandleInput;
  /** Filter name shown by tc (stored as "tsbcc:NAME"); default the program's name. */
  name?: string;
  /** Actions run on a match (classid mode only). */
  actions?: TcAction[];
  /** Replace the filter with the same priority and handle instead of failing when it exists. */
  replace?: boolean;
}

/** Resolves a filter parent to its 32-bit handle. @throws InvalidArgumentError for a bad handle. */
export function parentHandle(p: FilterParent | undefined): number {
  return filterParent(p);
}

function checkProgram(program: Program): void {
  if (program.type !== ProgramType.SCHED_CLS) {
    throw new InvalidArgumentError(
      `program ${program.name} is ${program.typeName}; a tc filter must be loaded as SCHED_CLS`,
    );
  }
}

/** A cls_bpf filter this process added. */
export class TcFilterLink extends TcObjectLink {
  /** The id of the program the filter runs (changes with replace()). */
  programId: number;

  private constructor(
    sock: NetlinkSocket,
    readonly target: DeviceTarget,
    /** The filter as the kernel created it. */
    readonly info: FilterInfo,
    private readonly usesHook: boolean,
    keep: boolean | undefined,
    private readonly checked: (fd: number) => {
      filter: CheckedFilter;
      encode: () => ReturnType<CheckedFilter['encode']>;
    },
    owner: OwnerToken | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.programId = info.programId ?? 0;
    this.register(owner);
  }

  private described: string | undefined;

  get description(): string {
    return (this.described ??= `tc filter ${this.info.name ?? ''} (${parentName(this.info.parent)} pref ${this.info.priority} handle 0x${this.info.handle.toString(16)}) on ${where(this.target)}`);
  }

  /**
   * Attaches a SCHED_CLS program as a cls_bpf filter. Nothing is left behind on failure.
   * Kernel: CONFIG_NET_CLS_BPF, and CONFIG_NET_SCH_INGRESS for the ingress/egress hooks.
   * @throws InvalidArgumentError for bad options (names the field) or a non-SCHED_CLS program.
   * @throws NotSupportedError naming the kernel option for a missing qdisc or action kind.
   * @throws NetlinkError with the kernel's extended-ack text otherwise.
   */
  static async create(
    sock: NetlinkSocket,
    target: DeviceTarget,
    program: Program,
    opts: BpfFilterOptions,
    ifindexOf: (name: string) => Promise<number>,
  ): Promise<TcFilterLink> {
    checkProgram(program);
    // the same options on the same device as an earlier attach: its checked and encoded filter
    const from = preparedFrom(program, opts);
    const cached = preparedFor(target, from);
    let prep = cached?.found;
    if (!prep) {
      prep = await prepare(target, program, opts, ifindexOf, from ?? [program.fd, program.id]);
      if (cached?.key !== undefined) {
        if (cached.cache.byKey.size >= MAX_PREPARED) cached.cache.byKey.clear();
        cached.cache.byKey.set(cached.key, prep);
        cached.cache.last = prep;
      }
    }
    const { fullName, op, checked } = prep;
    const { parent } = prep.filter;
    const m = new MessageBuilder(
      RTM.NEWTFILTER,
      newFilterFlags(opts.replace ? 'create-or-replace' : 'create'),
      prep.body,
    );
    const usesHook = parent === PARENT_INGRESS || parent === PARENT_EGRESS;
    let replies: NetlinkMessage[];
    // The filter is tried first; only when the hook qdisc is missing is clsact added (and then
    // remembered as ours), so attaching to an interface that has clsact costs one round trip.
    let held = usesHook && holdKnownHook(target);
    const owner = opts.keep
      ? undefined
      : recordOwned(target, {
          type: 'filter',
          ifindex: target.ifindex,
          parent,
          name: fullName,
          programId: program.id,
        });
    try {
      try {
        // on the JS thread when the socket runs it there (no promise hop), else queued
        replies = sock.requestNow(m, op) ?? (await sock.request(m, op));
      } catch (e) {
        if (!usesHook || held || !isMissingParent(e)) throw e;
        await acquireHook(sock, target);
        held = true;
        replies = await sock.request(m, op);
      }
      if (usesHook && !held) {
        noteHook(target, false);
        held = true;
      }
      if (usesHook && opts.keep) keepHook(target);
    } catch (e) {
      owner?.forget();
      if (held) await dropHook(sock, target);
      throw await filterError(e, prep.actionKinds, target);
    }
    const mine = (f: FilterInfo): boolean =>
      f.kind === 'bpf' && f.programId === program.id && f.name === fullName;
    let echoed: FilterInfo | undefined;
    for (const r of replies) {
      if (r.type !== RTM.NEWTFILTER) continue;
      const f = parseFilterReply(r);
      if (mine(f)) {
        echoed = f;
        break;
      }
    }
    if (!echoed) {
      // No echo (older kernels): find the filter in a dump of its parent, newest handle first.
      const listed = await listFilters(sock, target, [parent]);
      echoed = listed.filter(mine).sort((a, b) => b.handle - a.handle)[0];
    }
    if (!echoed) {
      if (held) await dropHook(sock, target);
      throw new InvalidArgumentError(`the kernel did not report the filter it created for ${op}`);
    }
    return new TcFilterLink(sock, target, echoed, usesHook, opts.keep, checked, owner);
  }

  /**
   * Swaps the program the filter runs (same parent, priority and handle), atomically.
   * @throws InvalidArgumentError when the program is not SCHED_CLS; NetlinkError from the kernel.
   */
  async replace(program: Program): Promise<void> {
    checkProgram(program);
    const { filter, encode } = this.checked(program.fd);
    const key = {
      ...filter,
      priority: this.info.priority,
      handle: this.info.handle,
      protocol: this.info.protocol,
    };
    const [result] = await transactOn(this.sock, this.nsPath, [
      {
        message: newFilter(this.target.ifindex, key, encode(), 'replace'),
        operation: `replace program of ${this.description}`,
      },
    ]);
    if (result instanceof NetlinkError) throw result;
    this.programId = program.id;
  }

  /** A lookup or deletion of the filter (its description, for errors only, is made when read). */
  private request(type: 'get' | 'delete', onlyIf?: RequestCondition): NetlinkRequest {
    const described = (): string => this.description;
    return {
      message: filterRequest(type, this.target.ifindex, this.info),
      get operation() {
        return `${type === 'get' ? 'look up' : 'delete'} ${described()}`;
      },
      ...(onlyIf ? { onlyIf } : {}),
    };
  }

  /**
   * The lookup and the deletion in one round trip: the deletion is sent only when the lookup's
   * answer shows our program (TCA_OPTIONS / TCA_BPF_ID) still attached.
   */
  private lookupThenDelete(): NetlinkRequest[] {
    return [this.request('get'), this.request('delete', stillRuns(this.programId))];
  }

  /** Our filter only: the lookup must show our program still attached. */
  private stillOurs(result: Outcome | undefined): boolean {
    if (!result || result instanceof NetlinkError) return false;
    const f = result.map(parseFilterReply).find((x) => x.handle === this.info.handle);
    if (f?.programId === this.programId) return true;
    if (f) logger().warn(`${this.description} now runs program ${f.programId}, not ours; left in place`);
    return false;
  }

  protected override namespaceLost(): void {
    if (this.usesHook) abandonHook(this.target);
  }

  protected *removal(): RemovalPlan {
    const [found, deleted] = yield this.lookupThenDelete();
    if (deleted) removed([deleted]);
    else if (this.stillOurs(found))
      // the lookup shows our program but the condition did not hold: never delete on a guess
      logger().warn(`${this.description}: its lookup could not be matched; left in place`);
    if (this.usesHook) yield* releaseHook(this.target);
  }
}

/** An attach's checked filter and encoded request body, with its name and description. */
interface PreparedFilter {
  filter: CheckedFilter;
  body: Buffer;
  fullName: string;
  op: string;
  /** The filter for another program (replace()), with the encoder of its options. */
  checked: (fd: number) => { filter: CheckedFilter; encode: () => ReturnType<CheckedFilter['encode']> };
  /** The kinds of its actions (for the error of a failed attach). */
  actionKinds: string[];
  /** What it was prepared from (see preparedKey). */
  from: PreparedFrom;
}

/** The program and options an attach request is encoded from (every option but replace and keep). */
type PreparedFrom = [number, number, ...unknown[]];

/** Checks and encodes an attach (its mirred targets looked up by ifindexOf). */
async function prepare(
  target: DeviceTarget,
  program: Program,
  opts: BpfFilterOptions,
  ifindexOf: (name: string) => Promise<number>,
  from: PreparedFrom,
): Promise<PreparedFilter> {
  // plain JS callers can pass anything: a non-list is the filter check's problem to report
  const actions: unknown = Array.isArray(opts.actions) ? opts.actions.map(actionSpec) : opts.actions;
  const name = opts.name ?? program.name;
  const check = (fd: number): CheckedFilter => {
    const c = new Check('', 'filter');
    const f = checkFilter(
      {
        kind: 'bpf',
        fd,
        name,
        namePrefix: TSBCC_FILTER_PREFIX,
        directAction: opts.directAction,
        classid: opts.classid,
        actions: actions as FilterSpec['actions'],
        parent: opts.parent,
        priority: opts.priority,
        handle: opts.handle,
        chain: opts.chain,
        protocol: opts.protocol,
      },
      c,
    );
    c.orThrow();
    return f;
  };
  const filter = check(program.fd);
  // mirred targets are interfaces of this namespace, looked up once
  const ifindexes = new Map<string, number>();
  for (const i of filter.interfaces) ifindexes.set(i.name, await ifindexOf(i.name));
  const env = { ifindex: (n: string) => ifindexes.get(n) ?? 0 };
  const fullName = `${TSBCC_FILTER_PREFIX}${name}`;
  return {
    filter,
    body: newFilterBody(target.ifindex, filter, filter.encode(env)),
    fullName,
    op: `attach tc filter ${fullName} to ${parentName(filter.parent)} of ${where(target)}`,
    checked: (fd) => {
      const f = fd === program.fd ? filter : check(fd);
      return { filter: f, encode: () => f.encode(env) };
    },
    actionKinds: Array.isArray(actions) ? actions.map((a: { kind: string }) => a.kind) : [],
    from,
  };
}

/** Per device: attaches by their options (preparedKey), at most MAX_PREPARED, and the last one used. */
const prepared = new WeakMap<DeviceTarget, { byKey: Map<string, PreparedFilter>; last?: PreparedFilter }>();
const MAX_PREPARED = 32;

/**
 * The prepared attach of an earlier call with the same program and options on the same device:
 * the last one compared value by value (no key built), else by key.
 */
function preparedFor(
  target: DeviceTarget,
  from: PreparedFrom | undefined,
):
  | {
      cache: { byKey: Map<string, PreparedFilter>; last?: PreparedFilter };
      key?: string;
      found?: PreparedFilter;
    }
  | undefined {
  if (from === undefined) return undefined;
  let cache = prepared.get(target);
  if (!cache) prepared.set(target, (cache = { byKey: new Map() }));
  const last = cache.last;
  if (last && sameValues(last.from, from)) return { cache, found: last };
  const key = preparedKey(from);
  const found = cache.byKey.get(key);
  if (found) cache.last = found;
  return { cache, key, found };
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * What the encoded attach request depends on (besides the device): the program (fd and id)
 * and every option but `replace` and `keep`; undefined (no reuse) with actions (they name
 * interfaces) or an option that is not a primitive.
 */
function preparedFrom(program: Program, opts: BpfFilterOptions): PreparedFrom | undefined {
  if (opts.actions !== undefined) return undefined;
  const from: PreparedFrom = [
    program.fd,
    program.id,
    opts.name,
    opts.directAction,
    opts.classid,
    opts.parent,
    opts.priority,
    opts.handle,
    opts.chain,
    opts.protocol,
  ];
  for (const v of from)
    if ((typeof v === 'object' && v !== null) || typeof v === 'function') return undefined;
  return from;
}

/** The values of preparedFrom as a map key, each value with its type. */
function preparedKey(from: PreparedFrom): string {
  return from.map((v) => `${typeof v}:${String(v)}`).join('|');
}

/** The condition of a filter deletion: the lookup's reply shows program `id` attached. */
export function stillRuns(id: number): RequestCondition {
  return {
    previous: 'carries',
    type: RTM.NEWTFILTER,
    headerLen: TCMSG.size,
    path: [TCA_IDS.OPTIONS, TCA_BPF_IDS.ID],
    value: id,
  };
}

/** The kernel's answer when the parent qdisc (e.g. clsact) is not there. */
function isMissingParent(e: unknown): boolean {
  return e instanceof NetlinkError && e.errno === ERRNO.EINVAL && /parent qdisc/i.test(e.extack ?? '');
}

async function filterError(e: unknown, actionKinds: string[], target: DeviceTarget): Promise<unknown> {
  if (!(e instanceof NetlinkError)) return e;
  if (isUnknownTcKind(e)) {
    if (/classifier|cls/i.test(e.extack ?? '')) return notSupported('cls_bpf');
    const f = await features();
    for (const kind of actionKinds) {
      const def = findKind('action', kind);
      if (def && !f.has(def.feature.name as Parameters<typeof f.has>[0])) return kindNotSupported(def);
    }
  }
  if (e.errno === ERRNO.EEXIST) {
    return new InvalidArgumentError(
      `a filter with that priority/handle already exists on ${where(target)} (${e.extack ?? 'EEXIST'}); pass replace: true to replace it`,
    );
  }
  return e;
}
