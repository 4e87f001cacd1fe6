/**
 * cls_bpf filters as Links: in direct-action mode (the program's return value is the verdict)
 * or classid mode (the return value picks a class; actions run on a match), with a name,
 * priority, handle and chain, on ingress, egress or any parent. The Link remembers the exact
 * (parent, priority, protocol, handle, chain) the kernel gave the filter and removes that filter
 * on close(), only while it still runs our program.
 */
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { features } from '../features/probe.js';
import { logger } from '../logger.js';
import { MessageBuilder, NLM_F, type NetlinkMessage } from '../netlink/message.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import { ACTION_FEATURE, encodeAction, type TcAction } from './actions.js';
import {
  ETH_P,
  PARENT_EGRESS,
  PARENT_INGRESS,
  RTM,
  TCA,
  TCA_BPF,
  TCA_BPF_FLAG_ACT_DIRECT,
  TSBCC_FILTER_PREFIX,
} from './constants.js';
import { listFilters, parseFilterReply, type FilterInfo } from './filter-list.js';
import { notSupported } from './qdisc-options.js';
import { acquireHook, holdKnownHook, isUnknownKind, noteHook, releaseHook } from './qdisc.js';
import { TcObjectLink, type KeepOption } from './tc-link.js';
import { CREATE_EXCL, REQUEST_ACK, runAll, tcmsg, where, type TcTarget } from './tc-netlink.js';
import { formatHandle, parseHandle, TC_FILTER_NAME, type HandleInput } from '../netlink/tc-units.js';

/** Where a filter hangs: the clsact hooks by name, or any parent handle ("1:", "1:10"). */
export type FilterParent = 'ingress' | 'egress' | HandleInput;

/** Options of a cls_bpf filter. */
export interface BpfFilterOptions extends KeepOption {
  /** Default 'ingress'. 'ingress' and 'egress' add a clsact qdisc when the interface has none. */
  parent?: FilterParent;
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
  /** 1-65535; the kernel picks one (from 49152 down) when omitted. */
  priority?: number;
  /** Filter handle; the kernel picks one when omitted. */
  handle?: number;
  /** Filter chain (default 0). */
  chain?: number;
  /** Ethernet protocol matched: 'all' (default), 'ip', 'ipv6' or a number (host order). */
  protocol?: 'all' | 'ip' | 'ipv6' | number;
  /** Actions run on a match (classid mode only). */
  actions?: TcAction[];
  /** Replace the filter with the same priority and handle instead of failing when it exists. */
  replace?: boolean;
}

function protocolNumber(p: BpfFilterOptions['protocol']): number {
  if (p === undefined || p === 'all') return ETH_P.ALL;
  if (p === 'ip') return ETH_P.IP;
  if (p === 'ipv6') return ETH_P.IPV6;
  if (!Number.isInteger(p) || p < 0 || p > 0xffff)
    throw new InvalidArgumentError(`invalid filter protocol ${String(p)}`);
  return p;
}

/** Resolves a filter parent to its 32-bit handle. @throws InvalidArgumentError for a bad handle. */
export function parentHandle(p: FilterParent | undefined): number {
  if (p === undefined || p === 'ingress') return PARENT_INGRESS;
  if (p === 'egress') return PARENT_EGRESS;
  return parseHandle(p, 'filter parent');
}

/** "ingress", "egress" or the handle, for messages. */
export function parentName(parent: number): string {
  if (parent === PARENT_INGRESS) return 'ingress';
  if (parent === PARENT_EGRESS) return 'egress';
  return formatHandle(parent);
}

function check(program: Program, o: BpfFilterOptions): void {
  if (program.type !== ProgramType.SCHED_CLS) {
    throw new InvalidArgumentError(
      `program ${program.name} is ${program.typeName}; a tc filter must be loaded as SCHED_CLS`,
    );
  }
  const intRange = (v: number | undefined, lo: number, hi: number, what: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) {
      throw new InvalidArgumentError(`invalid filter ${what} ${v}: ${lo}-${hi}`);
    }
  };
  intRange(o.priority, 1, 0xffff, 'priority');
  intRange(o.handle, 1, 0xffffffff, 'handle');
  intRange(o.chain, 0, 0xffffffff, 'chain');
  if (o.directAction && (o.actions?.length ?? 0) > 0) {
    throw new InvalidArgumentError('filter actions run only in classid mode; set directAction: false');
  }
  const name = o.name ?? program.name;
  if (!TC_FILTER_NAME.test(name)) throw new InvalidArgumentError(`invalid filter name "${name}"`);
}

/** A cls_bpf filter this process added. */
export class TcFilterLink extends TcObjectLink {
  /** The id of the program the filter runs (changes with replace()). */
  programId: number;

  private constructor(
    sock: NetlinkSocket,
    readonly target: TcTarget,
    /** The filter as the kernel created it. */
    readonly info: FilterInfo,
    private readonly usesHook: boolean,
    keep: boolean | undefined,
    private readonly encodeBody: (m: MessageBuilder, program: Program) => void,
  ) {
    super(target.nsPath, keep, sock);
    this.programId = info.programId ?? 0;
    this.register();
  }

  get description(): string {
    return `tc filter ${this.info.name ?? ''} (${parentName(this.info.parent)} pref ${this.info.priority} handle 0x${this.info.handle.toString(16)}) on ${where(this.target)}`;
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
    target: TcTarget,
    program: Program,
    opts: BpfFilterOptions,
    ifindexOf: (name: string) => Promise<number>,
  ): Promise<TcFilterLink> {
    check(program, opts);
    const parent = parentHandle(opts.parent);
    const protocol = protocolNumber(opts.protocol);
    let classid = opts.classid === undefined ? undefined : parseHandle(opts.classid, 'filter classid');
    const actions = await Promise.all((opts.actions ?? []).map((a) => encodeAction(a, ifindexOf)));
    const direct = opts.directAction ?? (classid === undefined && actions.length === 0);
    // skb->tc_classid is 16 bits: in direct-action mode the kernel takes the class major from
    // the filter's classid, so under a classful qdisc default it to that qdisc's major.
    const hook = parent === PARENT_INGRESS || parent === PARENT_EGRESS;
    if (direct && classid === undefined && !hook && parent !== 0xffffffff)
      classid = (parent & 0xffff0000) >>> 0;
    const name = `${TSBCC_FILTER_PREFIX}${opts.name ?? program.name}`;
    const chain = opts.chain ?? 0;
    const body = (m: MessageBuilder, prog: Program): void => {
      m.str(TCA.KIND, 'bpf');
      if (chain) m.u32(TCA.CHAIN, chain);
      m.nest(TCA.OPTIONS, (o) => {
        o.u32(TCA_BPF.FD, prog.fd);
        o.str(TCA_BPF.NAME, name);
        if (direct) o.u32(TCA_BPF.FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        if (classid !== undefined) o.u32(TCA_BPF.CLASSID, classid);
        if (actions.length) o.nest(TCA_BPF.ACT, (a) => actions.forEach((enc, i) => a.nest(i + 1, enc)));
      });
    };

    const usesHook = hook;
    const info = ((opts.priority ?? 0) << 16) | ((protocol >> 8) | ((protocol & 0xff) << 8));
    const m = new MessageBuilder(
      RTM.NEWTFILTER,
      (opts.replace ? REQUEST_ACK | NLM_F.CREATE | NLM_F.REPLACE : CREATE_EXCL) | NLM_F.ECHO,
    ).raw(tcmsg({ ifindex: target.ifindex, handle: opts.handle ?? 0, parent, info }));
    body(m, program);
    const op = `attach tc filter ${name} to ${parentName(parent)} of ${where(target)}`;
    let replies: NetlinkMessage[];
    // The filter is tried first; only when the hook qdisc is missing is clsact added (and then
    // remembered as ours), so attaching to an interface that has clsact costs one round trip.
    let held = usesHook && holdKnownHook(target);
    try {
      try {
        replies = await sock.request(m, op);
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
    } catch (e) {
      if (held) await dropHook(sock, target);
      throw await filterError(e, opts.actions ?? [], target);
    }
    const mine = (f: FilterInfo): boolean =>
      f.kind === 'bpf' && f.programId === program.id && f.name === name;
    let echoed = replies.map(parseFilterReply).find(mine);
    if (!echoed) {
      // No echo (older kernels): find the filter in a dump of its parent, newest handle first.
      const listed = await listFilters(sock, target, [parent]);
      echoed = listed.filter(mine).sort((a, b) => b.handle - a.handle)[0];
    }
    if (!echoed) {
      if (held) await dropHook(sock, target);
      throw new InvalidArgumentError(`the kernel did not report the filter it created for ${op}`);
    }
    return new TcFilterLink(sock, target, echoed, usesHook, opts.keep, body);
  }

  /**
   * Swaps the program the filter runs (same parent, priority and handle), atomically.
   * @throws InvalidArgumentError when the program is not SCHED_CLS; NetlinkError from the kernel.
   */
  async replace(program: Program): Promise<void> {
    if (program.type !== ProgramType.SCHED_CLS) {
      throw new InvalidArgumentError(
        `program ${program.name} is ${program.typeName}; a tc filter must be loaded as SCHED_CLS`,
      );
    }
    const m = new MessageBuilder(RTM.NEWTFILTER, REQUEST_ACK | NLM_F.REPLACE).raw(this.tcmsg());
    this.encodeBody(m, program);
    const [result] = await runAll(this.sock, this.nsPath, [
      { message: m, operation: `replace program of ${this.description}` },
    ]);
    if (result instanceof NetlinkError) throw result;
    this.programId = program.id;
  }

  private tcmsg(): Buffer {
    const i = this.info;
    return tcmsg({
      ifindex: this.target.ifindex,
      handle: i.handle,
      parent: i.parent,
      info: (i.priority << 16) | i.protocolRaw,
    });
  }

  private getRequest(): NetlinkRequest {
    const m = new MessageBuilder(RTM.GETTFILTER, REQUEST_ACK).raw(this.tcmsg()).str(TCA.KIND, 'bpf');
    if (this.info.chain) m.u32(TCA.CHAIN, this.info.chain);
    return { message: m, operation: `look up ${this.description}` };
  }

  private deleteRequest(): NetlinkRequest {
    const m = new MessageBuilder(RTM.DELTFILTER, REQUEST_ACK).raw(this.tcmsg()).str(TCA.KIND, 'bpf');
    if (this.info.chain) m.u32(TCA.CHAIN, this.info.chain);
    return { message: m, operation: `delete ${this.description}` };
  }

  /** Our filter only: the lookup must show our program still attached. */
  private stillOurs(result: NetlinkMessage[] | NetlinkError | undefined): boolean {
    if (!result || result instanceof NetlinkError) return false;
    const f = result.map(parseFilterReply).find((x) => x.handle === this.info.handle);
    if (f?.programId === this.programId) return true;
    if (f) logger().warn(`${this.description} now runs program ${f.programId}, not ours; left in place`);
    return false;
  }

  protected async removal(
    lookup: (
      r: NetlinkRequest[],
    ) => Promise<(NetlinkMessage[] | NetlinkError)[]> | (NetlinkMessage[] | NetlinkError)[],
  ): Promise<NetlinkRequest[]> {
    const [found] = await lookup([this.getRequest()]);
    if (this.stillOurs(found)) await lookup([this.deleteRequest()]);
    return this.hookRemoval(await lookup(this.hookChecks()));
  }

  protected removalSync(
    lookup: (r: NetlinkRequest[]) => (NetlinkMessage[] | NetlinkError)[],
  ): NetlinkRequest[] {
    const [found] = lookup([this.getRequest()]);
    if (this.stillOurs(found)) lookup([this.deleteRequest()]);
    return this.hookRemoval(lookup(this.hookChecks()));
  }

  private hook: ReturnType<typeof releaseHook>;

  private hookChecks(): NetlinkRequest[] {
    this.hook = this.usesHook ? releaseHook(this.target) : undefined;
    return this.hook?.check ?? [];
  }

  private hookRemoval(dumps: (NetlinkMessage[] | NetlinkError)[]): NetlinkRequest[] {
    if (!this.hook) return [];
    const empty = dumps.every((d) => !(d instanceof NetlinkError) && d.length === 0);
    return empty ? [this.hook.remove] : [];
  }
}

/** The kernel's answer when the parent qdisc (e.g. clsact) is not there. */
function isMissingParent(e: unknown): boolean {
  return e instanceof NetlinkError && e.errno === 22 && /parent qdisc/i.test(e.extack ?? '');
}

async function dropHook(sock: NetlinkSocket, target: TcTarget): Promise<void> {
  const h = releaseHook(target);
  if (!h) return;
  const dumps = await Promise.all(h.check.map((r) => sock.request(r.message, r.operation).catch(() => [1])));
  if (dumps.every((d) => d.length === 0))
    await sock.request(h.remove.message, h.remove.operation).catch(() => undefined);
}

async function filterError(e: unknown, actions: TcAction[], target: TcTarget): Promise<unknown> {
  if (!(e instanceof NetlinkError)) return e;
  if (isUnknownKind(e)) {
    if (/classifier|cls/i.test(e.extack ?? '')) return notSupported('cls_bpf');
    const f = await features();
    for (const a of actions) {
      const feature = ACTION_FEATURE[a.kind];
      if (!f.has(feature)) return notSupported(feature);
    }
  }
  if (e.errno === 17) {
    return new InvalidArgumentError(
      `a filter with that priority/handle already exists on ${where(target)} (${e.extack ?? 'EEXIST'}); pass replace: true to replace it`,
    );
  }
  return e;
}
