/**
 * The flow monitor service behind `tsbcc flowmon`: a {@link VxlanFlowMonitor} (LRU flow table)
 * on one interface, a table of the top flows every interval, idle flows swept out before each
 * table, and optionally /metrics (Prometheus), /flows.json and the d3 dashboard over HTTP.
 * reload() applies changed options without losing counts where it can (another interface:
 * attach there, then detach here; a new listen address: a new server); close() detaches and
 * unloads everything.
 */
import type { Registry } from 'prom-client';
import type { Link } from '../core/link.js';
import { InvalidArgumentError } from '../errors.js';
import { vxlanFlowRegistry } from '../recipes/vxlan-flow-metrics.js';
import { FlowTracker, VxlanFlowMonitor, type FlowSample } from '../recipes/vxlan-flow-monitor.js';
import { startDashboard, type DashboardServer } from './dashboard-server.js';
import type { FlowmonOptions } from './flowmon-options.js';
import { formatFlowTable } from './flowmon-table.js';

/** Where the service writes its tables and notices. */
export type FlowmonLog = (text: string) => void;

const sameWatch = (a: FlowmonOptions, b: FlowmonOptions): boolean =>
  a.dev === b.dev && a.netns === b.netns && a.direction === b.direction;
const sameListen = (a: FlowmonOptions, b: FlowmonOptions): boolean =>
  a.metrics?.host === b.metrics?.host && a.metrics?.port === b.metrics?.port;

/** A running flow monitor. */
export class Flowmon {
  private links: Link[] = [];
  private server: DashboardServer | undefined;
  private tracker: FlowTracker;
  private closed = false;
  /** Flows removed as idle since the start. */
  expiredTotal = 0;

  private constructor(
    private opts: FlowmonOptions,
    private readonly monitor: VxlanFlowMonitor,
    private readonly registry: Registry,
    private readonly log: FlowmonLog,
  ) {
    this.tracker = new FlowTracker(monitor);
  }

  /** The options in force. */
  get options(): FlowmonOptions {
    return this.opts;
  }

  /** `http://ADDR:PORT/` when --metrics is served. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /**
   * Loads the monitor, attaches it to the interface and starts the HTTP server if asked.
   * Nothing is left behind when a step fails.
   * @throws InvalidArgumentError (unknown interface ...), NetlinkError, the listen error.
   */
  static async start(opts: FlowmonOptions, log: FlowmonLog): Promise<Flowmon> {
    const monitor = await VxlanFlowMonitor.create({
      port: opts.vxlanPort,
      maxFlows: opts.maxFlows,
      lru: true,
    });
    try {
      const registry = await vxlanFlowRegistry(monitor);
      const svc = new Flowmon(opts, monitor, registry, log);
      svc.links = await monitor.attach({ interface: opts.dev, netns: opts.netns, direction: opts.direction });
      if (opts.metrics) svc.server = await svc.serve(opts);
      svc.tracker.sample();
      log(
        `flowmon: watching ${opts.dev}${opts.netns ? ` in ${opts.netns}` : ''} (${opts.direction}), vxlan port ${opts.vxlanPort}, ` +
          `LRU table of ${opts.maxFlows} flows, idle flows removed after ${opts.idle} s` +
          (svc.server ? `; metrics and dashboard on ${svc.server.url}` : ''),
      );
      return svc;
    } catch (e) {
      await monitor.close().catch(() => undefined);
      throw e;
    }
  }

  private serve(opts: FlowmonOptions): Promise<DashboardServer> {
    const listen = opts.metrics as NonNullable<FlowmonOptions['metrics']>;
    return startDashboard({
      host: listen.host,
      port: listen.port,
      info: () => ({
        hosts: {},
        vnis: [...new Set((this.tracker.latest?.flows ?? []).map((f) => f.vni))].sort((a, b) => a - b),
      }),
      sample: () => this.tracker.latest ?? this.tracker.sample(),
      metrics: async () => ({ body: await this.registry.metrics(), contentType: this.registry.contentType }),
    });
  }

  /** Removes idle flows, samples the table and returns the sample with how many expired. */
  sweepAndSample(): { sample: FlowSample; expired: number } {
    const expired = this.monitor.expire(this.opts.idle * 1000).length;
    this.expiredTotal += expired;
    return { sample: this.tracker.sample(), expired };
  }

  /** One interval: sweep, sample, print the table. */
  tick(): FlowSample {
    const { sample, expired } = this.sweepAndSample();
    this.log(`${formatFlowTable(sample, this.opts.top, expired)}\n`);
    return sample;
  }

  /**
   * Applies new options. Counts are kept; another interface (or namespace, or direction) is
   * attached before the old one is detached; a new listen address gets a new server. The VXLAN
   * port and table size are compiled into the program: changing them needs a restart.
   * @throws InvalidArgumentError for a change that needs a restart; attach/listen errors (the
   * old settings stay in force).
   */
  async reload(next: FlowmonOptions): Promise<string[]> {
    if (next.vxlanPort !== this.opts.vxlanPort || next.maxFlows !== this.opts.maxFlows) {
      throw new InvalidArgumentError(
        'the VXLAN port and the table size are compiled into the monitor: restart flowmon to change them',
      );
    }
    const changes: string[] = [];
    if (!sameWatch(next, this.opts)) {
      const links = await this.monitor.attach({
        interface: next.dev,
        netns: next.netns,
        direction: next.direction,
      });
      const old = this.links;
      this.links = links;
      for (const l of old) await l.close();
      changes.push(`now watching ${next.dev}${next.netns ? ` in ${next.netns}` : ''} (${next.direction})`);
    }
    if (!sameListen(next, this.opts)) {
      const server = next.metrics ? await this.serve(next) : undefined;
      await this.server?.close();
      this.server = server;
      changes.push(server ? `metrics and dashboard on ${server.url}` : 'metrics server stopped');
    }
    for (const k of ['interval', 'top', 'idle', 'count'] as const) {
      if (next[k] !== this.opts[k]) changes.push(`${k} ${String(this.opts[k])} -> ${String(next[k])}`);
    }
    this.opts = next;
    return changes;
  }

  /** Stops the server, detaches from the interface and unloads the programs; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.server?.close();
    await this.monitor.close();
  }
}
