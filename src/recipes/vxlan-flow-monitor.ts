/**
 * VXLAN flow monitoring (BCC's tunnel_monitor as a reusable recipe): counts the overlay traffic
 * an underlay interface carries, per (outer pair, VNI, inner pair) with both directions, from tc
 * programs on that interface. See vxlan-flow-source.ts for what is counted and how.
 *
 * ```ts
 * const mon = await VxlanFlowMonitor.create();
 * await mon.attach({ interface: 'eth0', netns: 'ns1', direction: 'both' });
 * const tracker = new FlowTracker(mon);
 * setInterval(() => console.log(tracker.sample().totals), 5000);
 * ```
 */
import { BPF } from '../bcc/bpf.js';
import type { Link } from '../core/link.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { formatIPv4 } from '../maps/net-format.js';
import type { ProgArrayTable } from '../maps/prog-array.js';
import { TcDevice } from '../tc/device.js';
import type { KeepOption } from '../tc/tc-link.js';
import { checkInterfaceName, type NetnsRef } from '../util/netns-path.js';
import { VXLAN_SKIPPED, vxlanFlowSource } from './vxlan-flow-source.js';

/** Options of {@link VxlanFlowMonitor.create}. */
export interface VxlanFlowMonitorOptions {
  /** The VXLAN UDP port (default 4789). */
  port?: number;
  /** Size of the flow table (default 4096). */
  maxFlows?: number;
  /**
   * Make the flow table an LRU hash (default false): when it is full, a new flow evicts the
   * least recently used one instead of going uncounted. {@link VxlanFlowMonitor.expire} removes
   * idle flows either way.
   */
  lru?: boolean;
}

/** Where to watch. */
export interface VxlanWatchOptions extends KeepOption {
  interface: string;
  netns?: NetnsRef;
  /**
   * Hooks: both (default; every packet the interface carries), or only egress / ingress (e.g.
   * egress on every host of a fleet counts each packet once, where it leaves its sender).
   */
  direction?: 'both' | 'ingress' | 'egress';
}

/** One overlay flow: both directions between two tunnel endpoints, in one VNI, for one inner pair. */
export interface VxlanFlow {
  /** The smaller outer (tunnel endpoint) address. */
  outerA: string;
  outerB: string;
  vni: number;
  /** The inner address at outerA's end ("0.0.0.0" for frames that are not IPv4). */
  innerA: string;
  innerB: string;
  /** Whether the inner frames are IPv4 (false: ARP and other non-IPv4 frames of the pair). */
  ipv4: boolean;
  /** outerA -> outerB. */
  txPackets: number;
  txBytes: number;
  /** outerB -> outerA. */
  rxPackets: number;
  rxBytes: number;
  /** Milliseconds since the flow's last packet (either direction) when it was read. */
  idleMs: number;
}

/** Frames the monitor saw and did not count as flows. */
export interface VxlanSkipped {
  /** Outer broadcast/multicast (group traffic). */
  outerMulticast: number;
  /** Not IPv4/UDP to the VXLAN port. */
  notVxlan: number;
}

interface Key {
  outer_a: number;
  outer_b: number;
  vni: number;
  inner_a: number;
  inner_b: number;
}
interface Counters {
  tx_pkts: bigint | number;
  tx_bytes: bigint | number;
  rx_pkts: bigint | number;
  rx_bytes: bigint | number;
  last_seen: bigint | number;
}

/** CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get_ns (libuv's hrtime reads it on Linux). */
const monotonicNs = (): bigint => process.hrtime.bigint();

/** The identity of a flow, as text: `outerA,outerB,vni,innerA,innerB`. */
export function flowId(f: Pick<VxlanFlow, 'outerA' | 'outerB' | 'vni' | 'innerA' | 'innerB'>): string {
  return `${f.outerA},${f.outerB},${f.vni},${f.innerA},${f.innerB}`;
}

const ipValue = (a: string): number => a.split('.').reduce((v, o) => v * 256 + Number(o), 0);

function decodeFlow(k: Key, v: Counters, now: bigint): VxlanFlow {
  return {
    outerA: formatIPv4(k.outer_a, { hostOrder: true }),
    outerB: formatIPv4(k.outer_b, { hostOrder: true }),
    vni: k.vni,
    innerA: formatIPv4(k.inner_a, { hostOrder: true }),
    innerB: formatIPv4(k.inner_b, { hostOrder: true }),
    ipv4: k.inner_a !== 0 || k.inner_b !== 0,
    txPackets: Number(v.tx_pkts),
    txBytes: Number(v.tx_bytes),
    rxPackets: Number(v.rx_pkts),
    rxBytes: Number(v.rx_bytes),
    idleMs: Math.max(0, Number((now - BigInt(v.last_seen)) / 1_000_000n)),
  };
}

/** The flow monitor: one BPF object; attach it to any number of interfaces; close() removes it all. */
export class VxlanFlowMonitor implements Link {
  private isClosed = false;
  private readonly links: Link[] = [];

  private constructor(
    private readonly bpf: BPF,
    readonly description: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Compiles and loads the monitor (nothing is attached yet).
   * Kernel: cls_bpf, clsact, tail calls (BPF_MAP_TYPE_PROG_ARRAY).
   * @throws InvalidArgumentError for a bad port or table size; CompileError/VerifierError.
   */
  static async create(opts: VxlanFlowMonitorOptions = {}): Promise<VxlanFlowMonitor> {
    const port = opts.port ?? 4789;
    const maxFlows = opts.maxFlows ?? 4096;
    const lru = opts.lru ?? false;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError(`VXLAN port ${String(port)}: 1-65535`);
    }
    if (!Number.isInteger(maxFlows) || maxFlows < 1 || maxFlows > 1 << 20) {
      throw new InvalidArgumentError(`maxFlows ${String(maxFlows)}: 1-1048576`);
    }
    const bpf = await BPF.create({
      text: vxlanFlowSource({ port, maxFlows, lru }),
      name: 'vxlan_flow_monitor',
    });
    try {
      const parser = bpf.table('parser') as ProgArrayTable;
      parser.set(1, bpf.loadFunc('parse_outer', 'SCHED_CLS'));
      parser.set(2, bpf.loadFunc('parse_inner', 'SCHED_CLS'));
      return new VxlanFlowMonitor(bpf, `vxlan flow monitor (port ${port}${lru ? ', LRU table' : ''})`);
    } catch (e) {
      bpf.close();
      throw e;
    }
  }

  /**
   * Watches an interface (the underlay the tunnels run over). Removed by close().
   * @throws InvalidArgumentError for a bad or unknown interface.
   */
  async attach(opts: VxlanWatchOptions): Promise<Link[]> {
    this.live();
    checkInterfaceName(opts.interface);
    const direction = opts.direction ?? 'both';
    if (!['both', 'ingress', 'egress'].includes(direction)) {
      throw new InvalidArgumentError(`watch direction "${String(direction)}": use both, ingress or egress`);
    }
    const dev = await TcDevice.open({ interface: opts.interface, netns: opts.netns });
    const made: Link[] = [];
    try {
      for (const hook of ['ingress', 'egress'] as const) {
        if (direction !== 'both' && direction !== hook) continue;
        made.push(
          await dev.attachBpf(this.bpf.loadFunc(`monitor_${hook}`, 'SCHED_CLS'), {
            parent: hook,
            name: `vxlan-flows-${hook}`,
            keep: opts.keep,
          }),
        );
      }
    } catch (e) {
      for (const l of made.reverse()) await l.close().catch(() => undefined);
      throw e;
    } finally {
      dev.close();
    }
    this.links.push(...made);
    return made;
  }

  /** Every flow counted so far, sorted by VNI, endpoints and inner addresses. */
  flows(): VxlanFlow[] {
    this.live();
    const now = monotonicNs();
    return [...this.bpf.table<Key, Counters>('flows').entries()]
      .map(([k, v]) => decodeFlow(k, v, now))
      .sort(
        (x, y) =>
          x.vni - y.vni ||
          ipValue(x.outerA) - ipValue(y.outerA) ||
          ipValue(x.outerB) - ipValue(y.outerB) ||
          ipValue(x.innerA) - ipValue(y.innerA) ||
          ipValue(x.innerB) - ipValue(y.innerB),
      );
  }

  /**
   * Removes the flows without a packet for `idleMs` milliseconds or more (a sweep over the
   * table; a flow that sees a packet again starts from zero). Returns the flows removed, with
   * their final counts.
   * @throws InvalidArgumentError for a negative or non-finite idle time.
   */
  expire(idleMs: number): VxlanFlow[] {
    this.live();
    if (!Number.isFinite(idleMs) || idleMs < 0) {
      throw new InvalidArgumentError(`idle time ${String(idleMs)} ms: a number of at least 0`);
    }
    const table = this.bpf.table<Key, Counters>('flows');
    const now = monotonicNs();
    const limit = now - BigInt(Math.floor(idleMs * 1e6));
    const removed: VxlanFlow[] = [];
    for (const [k, v] of [...table.entries()]) {
      if (BigInt(v.last_seen) > limit) continue;
      table.delete(k);
      removed.push(decodeFlow(k, v, now));
    }
    return removed;
  }

  /** Frames seen and not counted as flows, summed over CPUs. */
  skipped(): VxlanSkipped {
    this.live();
    const t = this.bpf.table<number, Array<bigint | number>>('skipped');
    const sum = (i: number): number => (t.get(i) ?? []).reduce<number>((n, v) => n + Number(v), 0);
    return { outerMulticast: sum(VXLAN_SKIPPED.OUTER_MULTICAST), notVxlan: sum(VXLAN_SKIPPED.NOT_VXLAN) };
  }

  /** Empties the flow table (counting starts again from zero). */
  clear(): void {
    this.live();
    this.bpf.table<Key, Counters>('flows').clear();
  }

  private live(): void {
    if (this.isClosed) throw new ClosedError(this.description);
  }

  /** Detaches everywhere and unloads; idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    let first: unknown;
    for (const l of this.links.reverse()) {
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

/** A flow with its totals and what changed during the last interval. */
export interface TrackedFlow extends VxlanFlow {
  delta: { txPackets: number; txBytes: number; rxPackets: number; rxBytes: number };
}

/** One sample of the flow table. */
export interface FlowSample {
  /** 1, 2, ...: which sample this is. */
  seq: number;
  /** When it was taken (ms since the epoch). */
  time: number;
  /** Milliseconds since the previous sample (0 for the first). */
  intervalMs: number;
  flows: TrackedFlow[];
  totals: { flows: number; packets: number; bytes: number; nonIpv4Packets: number };
  /** Packets and bytes of the last interval, all flows. */
  delta: { packets: number; bytes: number };
  skipped: VxlanSkipped;
}

/**
 * Totals and last-interval deltas of a monitor's flows (what BCC's monitor.py wrote to
 * tunnel.json and tunnel-delta.json every 5 s). Call sample() on your interval; latest is the
 * last sample taken.
 */
export class FlowTracker {
  private prev = new Map<string, VxlanFlow>();
  private prevTime = 0;
  private seq = 0;
  /** The last sample taken, if any. */
  latest: FlowSample | undefined;

  constructor(private readonly monitor: Pick<VxlanFlowMonitor, 'flows' | 'skipped'>) {}

  /** Reads the flows now and computes what changed since the previous sample. */
  sample(): FlowSample {
    const now = Date.now();
    const flows = this.monitor.flows();
    const next = new Map<string, VxlanFlow>();
    const tracked = flows.map((f) => {
      const id = flowId(f);
      next.set(id, f);
      const p = this.prev.get(id);
      return {
        ...f,
        delta: {
          txPackets: f.txPackets - (p?.txPackets ?? 0),
          txBytes: f.txBytes - (p?.txBytes ?? 0),
          rxPackets: f.rxPackets - (p?.rxPackets ?? 0),
          rxBytes: f.rxBytes - (p?.rxBytes ?? 0),
        },
      };
    });
    const sum = (fn: (f: TrackedFlow) => number): number => tracked.reduce((n, f) => n + fn(f), 0);
    const sample: FlowSample = {
      seq: ++this.seq,
      time: now,
      intervalMs: this.prevTime === 0 ? 0 : now - this.prevTime,
      flows: tracked,
      totals: {
        flows: tracked.length,
        packets: sum((f) => f.txPackets + f.rxPackets),
        bytes: sum((f) => f.txBytes + f.rxBytes),
        nonIpv4Packets: sum((f) => (f.ipv4 ? 0 : f.txPackets + f.rxPackets)),
      },
      delta: {
        packets: sum((f) => f.delta.txPackets + f.delta.rxPackets),
        bytes: sum((f) => f.delta.txBytes + f.delta.rxBytes),
      },
      skipped: this.monitor.skipped(),
    };
    this.prev = next;
    this.prevTime = now;
    this.latest = sample;
    return sample;
  }
}
