/**
 * Per-IP rate limiting (BCC's neighbor_sharing as a reusable recipe): traffic through one
 * interface is put into named classes by the IPv4 address it is for (or from), each class
 * limited to its rate in total, whatever number of addresses it holds. Addresses are assigned
 * by the caller or learned by small classifiers on other interfaces (e.g. "every address seen
 * coming from these bridge ports is a neighbour").
 *
 * The limit is built by {@link RateLimit} (htb classes, or an ifb device with htb classes for
 * ingress) chosen by a BPF classifier that reads the address table, or, with
 * `strategy: 'police'`, by one cls_bpf filter per class with a police action. Which one is used
 * and why is in `strategy` and `reason`.
 */
import { BPF } from '../bcc/bpf.js';
import type { Link } from '../core/link.js';
import type { Program } from '../core/program.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { features } from '../features/probe.js';
import { formatIPv4, parseIPv4 } from '../maps/net-format.js';
import { parseRate, parseSize, type RateInput, type SizeInput } from '../netlink/tc/units.js';
import { TcDevice } from '../tc/device.js';
import { notSupported } from '../tc/not-supported.js';
import { RateLimit } from './rate-limit.js';
import type { KeepOption } from '../tc/tc-link.js';
import { checkInterfaceName, type NetnsRef } from '../util/netns-path.js';
import { perIpClassifierSource } from './per-ip-classifier.js';

/** One class of addresses and its limit. */
export interface PerIpClass {
  /** A name for the class (letters, digits, `-`, `_`), e.g. "neighbors". */
  name: string;
  /** The class's total rate, e.g. "128kbit". */
  rate: RateInput;
  /** Burst (htb class burst, or the policer's bucket); default chosen by tc's rules. */
  burst?: SizeInput;
}

/** What to limit and how. */
export interface PerIpRateLimitOptions extends KeepOption {
  interface: string;
  netns?: NetnsRef;
  /** Traffic the interface receives (ingress) or sends (egress). */
  direction: 'ingress' | 'egress';
  /** Which address of a packet picks its class: its destination (default) or its source. */
  match?: 'destination' | 'source';
  /** The classes, 1-64 of them. */
  classes: PerIpClass[];
  /** The class of addresses not in the table (default: none; their traffic is not limited). */
  defaultClass?: string;
  /**
   * auto (default): what {@link RateLimit} chooses for classes (htb shaping, via ifb on
   * ingress); police: one filter per class with a police action (needs act_police); htb: force
   * shaping.
   */
  strategy?: 'auto' | 'police' | 'htb';
  /** Size of the address table (default 4096). */
  maxAddresses?: number;
  /** Name of the ifb device for ingress shaping (default: RateLimit's). */
  ifbName?: string;
}

/** Where a learning classifier goes and what it learns. */
export interface PerIpLearnOptions extends KeepOption {
  interface: string;
  netns?: NetnsRef;
  /** Traffic the interface receives (ingress, default) or sends (egress). */
  direction?: 'ingress' | 'egress';
  /** Which address of its packets to learn (default source: "who is behind this port"). */
  from?: 'source' | 'destination';
  /** The class learned addresses go into. */
  class: string;
}

/** One address in the table. */
export interface PerIpEntry {
  address: string;
  class: string;
}

/** Packets and bytes the classifier put into one class ("(unassigned)": addresses not in the table). */
export interface PerIpClassCount {
  class: string;
  packets: number;
  bytes: number;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** A per-IP rate limit in place; close() removes the limit, the learners and the programs. */
export class PerIpRateLimit implements Link {
  private isClosed = false;
  private readonly learners: Link[] = [];

  private constructor(
    private readonly bpf: BPF,
    private readonly classNames: readonly string[],
    private readonly limitLinks: Link[],
    /** The mechanism: RateLimit's strategy (htb, ifb+htb) or `police`. */
    readonly strategy: string,
    /** Why that mechanism, in words. */
    readonly reason: string,
    readonly description: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Builds the classifier and the limit. Nothing is left behind when it fails.
   * Kernel: cls_bpf and htb (plus ifb, act_mirred and clsact for ingress), or act_police.
   * @throws InvalidArgumentError for bad names, rates or options (before anything is made).
   * @throws NotSupportedError when the chosen mechanism is missing (naming the kernel option).
   */
  static async create(opts: PerIpRateLimitOptions): Promise<PerIpRateLimit> {
    checkInterfaceName(opts.interface);
    if (opts.direction !== 'ingress' && opts.direction !== 'egress') {
      throw new InvalidArgumentError(
        `per-IP rate limit direction "${String(opts.direction)}": use ingress or egress`,
      );
    }
    const match = opts.match ?? 'destination';
    if (match !== 'destination' && match !== 'source') {
      throw new InvalidArgumentError(`per-IP rate limit match "${String(match)}": use destination or source`);
    }
    if (!Array.isArray(opts.classes) || opts.classes.length === 0 || opts.classes.length > 64) {
      throw new InvalidArgumentError('per-IP rate limit: give 1 to 64 classes');
    }
    const names = opts.classes.map((c) => c.name);
    opts.classes.forEach((c, i) => {
      if (typeof c.name !== 'string' || !NAME_RE.test(c.name)) {
        throw new InvalidArgumentError(
          `per-IP rate limit classes[${i}].name "${String(c.name)}": use 1-32 letters, digits, - or _`,
        );
      }
      if (names.indexOf(c.name) !== i)
        throw new InvalidArgumentError(`per-IP rate limit: class "${c.name}" twice`);
      parseRate(c.rate, `classes[${i}].rate`);
      if (c.burst !== undefined) parseSize(c.burst, `classes[${i}].burst`);
    });
    const defaultIndex = opts.defaultClass === undefined ? 0 : names.indexOf(opts.defaultClass) + 1;
    if (opts.defaultClass !== undefined && defaultIndex === 0) {
      throw new InvalidArgumentError(
        `per-IP rate limit defaultClass "${opts.defaultClass}" is not one of ${names.join(', ')}`,
      );
    }
    const maxAddresses = opts.maxAddresses ?? 4096;
    if (!Number.isInteger(maxAddresses) || maxAddresses < 1 || maxAddresses > 1 << 20) {
      throw new InvalidArgumentError(`per-IP rate limit maxAddresses ${maxAddresses}: 1 to 1048576`);
    }
    const strategy = opts.strategy ?? 'auto';
    if (!['auto', 'police', 'htb'].includes(strategy)) {
      throw new InvalidArgumentError(
        `per-IP rate limit strategy "${String(strategy)}": use auto, police or htb`,
      );
    }
    const f = await features();
    if (strategy === 'police' && !f.has('act_police')) throw notSupported('act_police');

    const bpf = await BPF.create({
      text: perIpClassifierSource({
        classes: names.length,
        matchDestination: match === 'destination',
        defaultClass: defaultIndex,
        maxAddresses,
      }),
      name: 'per_ip_rate_limit',
    });
    const links: Link[] = [];
    try {
      let chosen: string;
      let reason: string;
      if (strategy === 'police') {
        const dev = await TcDevice.open({ interface: opts.interface, netns: opts.netns });
        try {
          for (let k = 1; k <= names.length; k++) {
            const c = opts.classes[k - 1] as PerIpClass;
            const rate = parseRate(c.rate, 'rate');
            links.push(
              await dev.attachBpf(bpf.loadFunc(`match_${k}`, 'SCHED_CLS'), {
                parent: opts.direction,
                directAction: false,
                classid: `1:${k}`,
                priority: k,
                name: `per-ip-${c.name}`,
                keep: opts.keep,
                actions: [
                  {
                    kind: 'police',
                    rate,
                    burst: c.burst ?? Math.max(16384, Math.round(rate / 800)),
                    conform: 'ok',
                    exceed: 'drop',
                  },
                ],
              }),
            );
          }
        } finally {
          dev.close();
        }
        chosen = 'police';
        reason =
          'police was asked for: one filter per class with a police action (it drops what exceeds the rate)';
      } else {
        const limit = await RateLimit.create({
          interface: opts.interface,
          netns: opts.netns,
          direction: opts.direction,
          classes: opts.classes.map((c, i) => ({ classid: `1:${i + 1}`, rate: c.rate, burst: c.burst })),
          classifier: bpf.loadFunc('classify', 'SCHED_CLS'),
          ...(defaultIndex ? { defaultClass: `1:${defaultIndex}` } : {}),
          strategy: strategy === 'htb' ? 'htb' : 'auto',
          ...(opts.ifbName ? { ifbName: opts.ifbName } : {}),
          keep: opts.keep,
        });
        links.push(limit);
        chosen = limit.strategy;
        reason = limit.reason;
      }
      const what = opts.classes.map((c) => `${c.name} ${String(c.rate)}`).join(', ');
      return new PerIpRateLimit(
        bpf,
        names,
        links,
        chosen,
        reason,
        `per-IP rate limit (${what}) on ${opts.interface} ${opts.direction} via ${chosen}`,
      );
    } catch (e) {
      for (const l of links.reverse()) await l.close().catch(() => undefined);
      bpf.close();
      throw e;
    }
  }

  /** The class names, in order. */
  get classes(): readonly string[] {
    return this.classNames;
  }

  private classIndex(name: string): number {
    const i = this.classNames.indexOf(name);
    if (i < 0) throw new InvalidArgumentError(`no class "${name}" (there are ${this.classNames.join(', ')})`);
    return i + 1;
  }

  private get table() {
    return this.bpf.table<number, number>('addr_class');
  }

  /**
   * Puts an IPv4 address into a class (replacing its class if it had one).
   * @throws InvalidArgumentError for a bad address or an unknown class.
   */
  assign(address: string, className: string): void {
    this.live();
    const k = this.classIndex(className);
    this.table.set(parseIPv4(address), k);
  }

  /** Takes an address out of the table; returns whether it was there. */
  unassign(address: string): boolean {
    this.live();
    return this.table.delete(parseIPv4(address));
  }

  /** The address table (assigned and learned), sorted by address. */
  entries(): PerIpEntry[] {
    this.live();
    return [...this.table.entries()]
      .map(([addr, k]) => ({ address: formatIPv4(addr), class: this.classNames[k - 1] ?? `#${k}` }))
      .sort((a, b) => parseIPv4(a.address, { hostOrder: true }) - parseIPv4(b.address, { hostOrder: true }));
  }

  /** Packets and bytes classified per class so far (summed over CPUs). */
  counts(): PerIpClassCount[] {
    this.live();
    const t = this.bpf.table<number, Array<{ packets: bigint | number; bytes: bigint | number }>>(
      'class_stats',
    );
    return ['(unassigned)', ...this.classNames].map((name, i) => {
      const perCpu = t.get(i) ?? [];
      return {
        class: name,
        packets: perCpu.reduce((n, c) => n + Number(c.packets), 0),
        bytes: perCpu.reduce((n, c) => n + Number(c.bytes), 0),
      };
    });
  }

  /**
   * Attaches a learning classifier: every IPv4 address in its packets' source (or destination)
   * goes into `class`, unless the address has a class already. The classifier always lets
   * packets pass. It is removed by close().
   * @throws InvalidArgumentError for an unknown class or interface.
   */
  async learn(opts: PerIpLearnOptions): Promise<Link> {
    this.live();
    checkInterfaceName(opts.interface);
    const k = this.classIndex(opts.class);
    const from = opts.from ?? 'source';
    if (from !== 'source' && from !== 'destination') {
      throw new InvalidArgumentError(`learn from "${String(from)}": use source or destination`);
    }
    const program: Program = this.bpf.loadFunc(
      `learn_${k}_${from === 'source' ? 'src' : 'dst'}`,
      'SCHED_CLS',
    );
    const dev = await TcDevice.open({ interface: opts.interface, netns: opts.netns });
    try {
      const link = await dev.attachBpf(program, {
        parent: opts.direction ?? 'ingress',
        name: `per-ip-learn-${opts.class}`,
        keep: opts.keep,
      });
      this.learners.push(link);
      return link;
    } finally {
      dev.close();
    }
  }

  private live(): void {
    if (this.isClosed) throw new ClosedError(this.description);
  }

  /** Removes the learners, the limit and the programs, newest first; idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    let first: unknown;
    for (const l of [...this.learners.reverse(), ...this.limitLinks.reverse()]) {
      try {
        await l.close();
      } catch (e) {
        first ??= e;
      }
    }
    this.bpf.close();
    if (first) throw first;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
