/**
 * Rate limiting as one call that works on both kinds of kernel (see ../shared/kernel.md), a
 * recipe over src/tc that compiles its own small programs:
 *
 * - `police`: a police action on a cls_bpf filter on the clsact hook, when asked for, or where
 *   the kernel has act_police (CONFIG_NET_ACT_POLICE) but htb is not usable (a policer drops,
 *   and TCP through it settles far below the rate). With classes: the classifier, then one
 *   police filter per class (class-police.ts).
 * - `htb` (egress): an htb qdisc at the interface's root with one class per limit; the
 *   classifier (direct action) picks the class through skb->tc_classid.
 * - `ifb+htb` (ingress): ingress traffic is redirected (act_mirred) to an ifb device made for
 *   the purpose, whose htb classes shape it the same way.
 * - `bpf-token-bucket`: a direct-action classifier with a token bucket in a BPF map on the clsact
 *   hook (one rate; drops like police). Chosen when asked for, or when neither police nor
 *   htb (with ifb and mirred for ingress) is available.
 *
 * The choice is rate-limit-strategy.ts (pure); the returned RateLimit says which it chose and
 * why, and removes everything it made on close.
 */
import { randomBytes } from 'node:crypto';
import { compile } from '../compiler/compile.js';
import { BpfObject } from '../core/bpf-object.js';
import type { Link } from '../core/link.js';
import type { Program } from '../core/program.js';
import { InvalidArgumentError } from '../errors.js';
import { features } from '../features/probe.js';
import { logger } from '../logger.js';
import { TC_H, tcMajor, tcMinor } from '../netlink/tc/tca.js';
import {
  formatHandle,
  parseHandle,
  parseRate,
  parseSize,
  type HandleInput,
  type RateInput,
  type SizeInput,
} from '../netlink/tc/units.js';
import { TcDevice } from '../tc/device.js';
import type { KeepOption } from '../tc/tc-link.js';
import { checkInterfaceName, type NetnsRef } from '../util/netns-path.js';
import { attachClassPolice, CLASSIFY_PRIORITY, loadClassSelector } from './class-police.js';
import { chooseStrategy, type RateLimitStrategy } from './rate-limit-strategy.js';
import { loadTokenBucket } from './token-bucket.js';

export type { RateLimitStrategy };

/** One class of a per-class limit. */
export interface RateClass {
  /** Class id the classifier selects (skb->tc_classid), e.g. "1:10". Major must be 1. */
  classid: HandleInput;
  rate: RateInput;
  /** May borrow up to this (default = rate: a hard limit). */
  ceil?: RateInput;
  burst?: SizeInput;
}

/** What to limit. */
export interface RateLimitOptions extends KeepOption {
  interface: string;
  netns?: NetnsRef;
  /** Traffic received (ingress) or sent (egress) by the interface. */
  direction: 'ingress' | 'egress';
  /** One limit for all traffic (give this, or classes with a classifier). */
  rate?: RateInput;
  /** Burst for the single limit (default: 10 ms at the rate, at least 16 KiB). */
  burst?: SizeInput;
  /** Per-class limits; the classifier picks the class. */
  classes?: RateClass[];
  /**
   * A SCHED_CLS program in direct-action style that picks the class (needed with classes). For
   * htb it sets skb->tc_classid to the class (minor) and returns TC_ACT_OK; for police it stores
   * the minor in skb->cb[0] and returns TC_ACT_UNSPEC, so the per-class police filters after it
   * run (see class-police.ts; the prefix classifier does either, by its config).
   */
  classifier?: Program;
  /** Class for traffic the classifier leaves unclassified (default: not limited; htb only). */
  defaultClass?: HandleInput;
  /**
   * Force a mechanism; default 'auto': htb shaping (egress) / ifb+htb (ingress) wherever htb is
   * usable, else police where act_police exists and one rate is asked for, else the BPF token
   * bucket for one rate (a policer drops and holds TCP well below its rate; see docs).
   */
  strategy?: 'auto' | 'police' | 'htb' | 'bpf';
  /** Name of the ifb device for ingress shaping (default "ifb" + 6 random hex digits). */
  ifbName?: string;
}

/** The options parsed (rates in bits/s, sizes in bytes, handles as numbers). */
interface Parsed {
  single?: number;
  burst?: number;
  classes: { classid: number; rate: number; ceil?: number; burst?: number }[];
  defaultClass?: number;
}

/**
 * Checks and parses the options before anything is made. Pure.
 * @throws InvalidArgumentError naming the bad value.
 */
export function parseRateLimitOptions(opts: RateLimitOptions): Parsed {
  checkInterfaceName(opts.interface);
  if (opts.ifbName !== undefined) checkInterfaceName(opts.ifbName);
  const classes = (opts.classes ?? []).map((c) => ({
    classid: parseHandle(c.classid, 'rate limit classid'),
    rate: parseRate(c.rate, 'rate limit rate'),
    ceil: c.ceil === undefined ? undefined : parseRate(c.ceil, 'rate limit ceil'),
    burst: c.burst === undefined ? undefined : parseSize(c.burst, 'rate limit burst'),
  }));
  const single = opts.rate === undefined ? undefined : parseRate(opts.rate, 'rate limit rate');
  const burst = opts.burst === undefined ? undefined : parseSize(opts.burst, 'rate limit burst');
  if ((single === undefined) === (classes.length === 0)) {
    throw new InvalidArgumentError('rate limit: give either rate or classes (with a classifier)');
  }
  if (classes.length && !opts.classifier)
    throw new InvalidArgumentError('rate limit: classes need a classifier program');
  for (const c of classes) {
    if (tcMajor(c.classid) !== 0x10000 || tcMinor(c.classid) === 0) {
      throw new InvalidArgumentError(
        `rate limit classid ${formatHandle(c.classid)}: use 1:MINOR (the htb is 1:)`,
      );
    }
  }
  if (opts.direction !== 'ingress' && opts.direction !== 'egress') {
    throw new InvalidArgumentError(`rate limit direction "${String(opts.direction)}": use ingress or egress`);
  }
  const defaultClass =
    opts.defaultClass === undefined ? undefined : parseHandle(opts.defaultClass, 'rate limit defaultClass');
  return { single, burst, classes, defaultClass };
}

const MATCH_ALL = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("classifier")
int tsbcc_match_all(struct __sk_buff *skb) { return -1; }
char LICENSE[] SEC("license") = "GPL";
`;

/** What the builders share: the device, the parts made so far, the objects to close. */
interface Build {
  dev: TcDevice;
  opts: RateLimitOptions;
  p: Parsed;
  parts: Link[];
  owned: BpfObject[];
}

async function buildTokenBucket(b: Build): Promise<void> {
  const rate = b.p.single ?? 0;
  const tb = await loadTokenBucket(
    Math.round(rate / 8),
    b.p.burst ?? Math.max(65536, Math.round(rate / 800)),
  );
  b.owned.push(tb.object);
  b.parts.push(
    await b.dev.attachBpf(tb.program, {
      parent: b.opts.direction,
      name: 'ratelimit-bucket',
      keep: b.opts.keep,
    }),
  );
}

/** Per-class police: the classifier first, then one police filter per class. */
async function buildClassPolice(b: Build): Promise<void> {
  const { opts, p, parts } = b;
  if (p.defaultClass !== undefined) {
    throw new InvalidArgumentError(
      'rate limit: police has no default class; let the classifier put unclassified traffic in a class',
    );
  }
  if (!opts.classifier) throw new InvalidArgumentError('rate limit: classes need a classifier program');
  const borrowing = p.classes.find((c) => c.ceil !== undefined && c.ceil !== c.rate);
  if (borrowing) {
    throw new InvalidArgumentError(
      `rate limit class ${formatHandle(borrowing.classid)}: police cannot borrow up to a ceil (htb can); give the rate alone`,
    );
  }
  parts.push(
    await b.dev.attachBpf(opts.classifier, {
      parent: opts.direction,
      priority: CLASSIFY_PRIORITY,
      name: 'ratelimit-classify',
      keep: opts.keep,
    }),
  );
  const selector = await loadClassSelector();
  b.owned.push(selector.object);
  for (const c of p.classes) {
    parts.push(
      await attachClassPolice(b.dev, selector.program, {
        direction: opts.direction,
        minor: tcMinor(c.classid),
        rate: c.rate,
        ...(c.burst !== undefined ? { burst: c.burst } : {}),
        keep: opts.keep,
      }),
    );
  }
}

async function buildPolice(b: Build): Promise<void> {
  if (b.p.single === undefined) return buildClassPolice(b);
  const rate = b.p.single ?? 0;
  b.parts.push(
    await b.dev.attachBpf(b.opts.classifier ?? (await matchAllProgram(b)), {
      parent: b.opts.direction,
      name: 'ratelimit',
      directAction: false,
      keep: b.opts.keep,
      actions: [
        {
          kind: 'police',
          rate,
          burst: b.p.burst ?? Math.max(16384, Math.round(rate / 800)),
          conform: 'ok',
          exceed: 'drop',
        },
      ],
    }),
  );
}

async function buildHtb(b: Build, viaIfb: boolean): Promise<void> {
  const { opts, p, parts } = b;
  const keep = opts.keep;
  let shaped = b.dev;
  if (viaIfb) {
    const ifb = await b.dev.addIfb({ name: opts.ifbName ?? `ifb${randomBytes(3).toString('hex')}`, keep });
    parts.push(ifb);
    shaped = await TcDevice.open({ interface: ifb.target.interface, netns: opts.netns });
    parts.push(
      await b.dev.attachBpf(await matchAllProgram(b), {
        parent: 'ingress',
        name: 'ratelimit-redirect',
        directAction: false,
        keep,
        actions: [{ kind: 'mirred', mode: 'redirect', to: ifb.target.interface, direction: 'egress' }],
      }),
    );
  }
  try {
    const single = p.single !== undefined;
    const defcls = single ? 1 : p.defaultClass === undefined ? 0 : tcMinor(p.defaultClass);
    parts.push(await shaped.addQdisc({ kind: 'htb', handle: '1:', defaultClass: defcls }, { keep }));
    const list = single
      ? [{ classid: 0x10001, rate: p.single ?? 0, ceil: undefined, burst: p.burst }]
      : p.classes;
    for (const c of list) {
      parts.push(
        await shaped.addClass({
          classid: c.classid,
          rate: c.rate,
          ceil: c.ceil,
          burst: c.burst,
          parent: '1:',
          keep,
        }),
      );
    }
    if (opts.classifier && p.classes.length) {
      parts.push(await shaped.attachBpf(opts.classifier, { parent: '1:', name: 'ratelimit-classify', keep }));
    }
  } finally {
    if (shaped !== b.dev) shaped.close();
  }
}

/**
 * One rate limit per interface and direction: a second would not hold next to the first (on
 * egress the root htb is taken, and a policer or token bucket would stack on the htb so the lower
 * rate wins; on ingress the kernel runs the newer redirect first, at a lower priority number, so
 * all traffic would go to the newer ifb and the first limit would see none).
 * @throws InvalidArgumentError naming what is there, before anything is made.
 */
async function refuseSecond(dev: TcDevice, direction: 'ingress' | 'egress'): Promise<void> {
  const filter = (await dev.filters(direction)).find((f) => f.name?.startsWith('tsbcc:ratelimit'));
  const htb =
    direction === 'egress'
      ? (await dev.qdiscs()).find((q) => q.parent === TC_H.ROOT && q.kind === 'htb')
      : undefined;
  if (!filter && !htb) return;
  const what = filter
    ? `its filter ${filter.name ?? ''} (pref ${filter.priority})`
    : `an htb qdisc ${formatHandle(htb?.handle ?? 0)} at the root, a rate limit's or another shaper's`;
  throw new InvalidArgumentError(
    `rate limit: ${dev.description} ${direction} already has a rate limit (${what}); ` +
      'one rate limit per interface and direction: close the other first, or give it classes',
  );
}

async function matchAllProgram(b: Build): Promise<Program> {
  const obj = BpfObject.create(await compile(MATCH_ALL, { name: 'tsbcc_match_all' }));
  b.owned.push(obj);
  return obj.loadFunc('tsbcc_match_all', 'SCHED_CLS');
}

/** A rate limit in place; close() removes everything it made, newest first. */
export class RateLimit implements Link {
  private isClosed = false;

  private constructor(
    /** The mechanism chosen. */
    readonly strategy: RateLimitStrategy,
    /** Why that mechanism, in words. */
    readonly reason: string,
    private readonly parts: Link[],
    private readonly owned: BpfObject[],
    readonly description: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** The Links it made (qdiscs, classes, filters, ifb device), oldest first. */
  get links(): readonly Link[] {
    return this.parts;
  }

  /**
   * Limits traffic on an interface. Nothing is left behind when it fails.
   * Kernel: act_police, or htb (CONFIG_NET_SCH_HTB) plus, for ingress, ifb (CONFIG_IFB),
   * act_mirred and clsact.
   * @throws InvalidArgumentError for bad rates/classes/handles, a malformed interface or ifb
   *   name (checked before anything is made), or an unknown interface.
   * @throws NotSupportedError when neither mechanism is available (naming the options).
   */
  static async create(opts: RateLimitOptions): Promise<RateLimit> {
    const p = parseRateLimitOptions(opts);
    const f = await features();
    const { strategy, reason } = chooseStrategy(
      { direction: opts.direction, strategy: opts.strategy ?? 'auto', single: p.single !== undefined },
      (name) => f.has(name),
    );
    const dev = await TcDevice.open({ interface: opts.interface, netns: opts.netns });
    const b: Build = { dev, opts, p, parts: [], owned: [] };
    try {
      await refuseSecond(dev, opts.direction);
      if (strategy === 'bpf-token-bucket') await buildTokenBucket(b);
      else if (strategy === 'police') await buildPolice(b);
      else await buildHtb(b, strategy === 'ifb+htb');
    } catch (e) {
      for (const part of b.parts.reverse()) await part.close().catch(() => undefined);
      for (const o of b.owned) o.close();
      throw e;
    } finally {
      dev.close();
    }
    const what = p.single !== undefined ? `${opts.rate}` : `${p.classes.length} classes`;
    logger().info(`rate limit on ${opts.interface} ${opts.direction}: ${strategy} (${reason})`);
    return new RateLimit(
      strategy,
      reason,
      b.parts,
      b.owned,
      `rate limit ${what} on ${opts.interface} ${opts.direction} via ${strategy}`,
    );
  }

  /** Removes what it made, newest first; idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    let first: unknown;
    for (const part of [...this.parts].reverse()) {
      try {
        await part.close();
      } catch (e) {
        first ??= e;
      }
    }
    for (const o of this.owned) o.close();
    if (first) throw first;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
