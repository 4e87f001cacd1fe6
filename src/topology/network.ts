/**
 * A realised testbed (DESIGN D8): namespaces, links, bridges, tunnels, shaping and processes
 * made from a {@link Topology} through in-process netlink, every step recorded, and destroyed
 * in reverse order — exactly what was created, nothing else.
 */
import { randomBytes } from 'node:crypto';
import { ClosedError, TopologyError } from '../errors.js';
import { logger } from '../logger.js';
import { track, untrack, type Closeable } from '../resources.js';
import { listAddresses } from '../netlink/address.js';
import { getLink } from '../netlink/link.js';
import { NamedNamespace } from '../netlink/netns.js';
import { NetlinkSocket } from '../netlink/socket.js';
import { listeningTcpPorts, NETLINK_SOCK_DIAG } from './listening.js';
import type { Plan, PlanProgram } from './plan.js';
import {
  execIn,
  HostProcess,
  waitFor,
  type ExecOptions,
  type ExecResult,
  type SpawnOptions,
} from './process.js';
import { pool, undoFailed, type ProgressEvent, type RealiseContext, type Step } from './realise.js';
import { realise } from './pipeline.js';
import { requireNetemFor } from './shaping.js';
import type { TopologySpec } from './spec.js';
import {
  claimState,
  defaultStateDir,
  processStart,
  removeState,
  writeState,
  type RunState,
} from './state.js';
import { teardownPlan, type TeardownStep } from './teardown.js';
import { runPrefix, Topology } from './topology.js';

/** Attaches one planned tc program; returns what detaches it. Supplied by the caller (BPF lives outside topology). */
export type ProgramAttacher = (program: PlanProgram, net: Network) => Promise<{ close(): unknown }>;

/** Options of {@link Network.up}. */
export interface NetworkOptions {
  /** The per-run prefix of every name (default `<name>-<6 hex>`). */
  prefix?: string;
  /** How many namespaces are worked on at once (default 8). */
  concurrency?: number;
  onProgress?: (e: ProgressEvent) => void;
  /** Attaches the topology's tc programs (required when it has any). */
  attachProgram?: ProgramAttacher;
  /** Where the state file goes (default /run/tsbcc/topology). */
  stateDir?: string;
  /** The YAML file the topology came from (recorded in the state file). */
  source?: string;
}

/** A connectivity matrix: ok[i][j] says whether hosts[i] reached hosts[j]. */
export interface ConnectivityMatrix {
  hosts: string[];
  ok: boolean[][];
  /** Whether every pair reached each other. */
  all: boolean;
  /** The pairs that failed, as `a -> b`. */
  failures: string[];
}

/**
 * A live testbed. Create with {@link Network.up} (or {@link Network.run}); destroy with
 * destroy() or `await using`. Requires root (CAP_SYS_ADMIN, CAP_NET_ADMIN).
 */
export class Network implements AsyncDisposable {
  private readonly ctx: RealiseContext;
  private readonly closer: Closeable = {
    description: 'topology network',
    closeSync: () => this.destroySync(),
  };
  private readonly processes = new Set<HostProcess>();
  private readonly programs: { p: PlanProgram; handle: { close(): unknown } }[] = [];
  private readonly state: RunState;
  private destroyed = false;
  private diagSockets = new Map<string, NetlinkSocket>();

  private constructor(
    readonly plan: Plan,
    private readonly opts: NetworkOptions,
  ) {
    this.ctx = {
      plan,
      namespaces: new Map(),
      indexes: new Map(),
      journal: [],
      concurrency: opts.concurrency ?? 8,
      progress: (e) => opts.onProgress?.(e),
      openRoot: async () => (this.ctx.root ??= await NetlinkSocket.open('')),
    };
    this.state = {
      prefix: plan.prefix,
      pid: process.pid,
      pidStart: processStart(process.pid) ?? '',
      createdAt: new Date().toISOString(),
      status: 'creating',
      detached: false,
      namespaces: plan.namespaces.map((n) => n.name),
      rootIfaces: plan.rootIfaces,
      hosts: Object.fromEntries(
        plan.namespaces.filter((n) => !n.key.startsWith('@')).map((n) => [n.key, n.name]),
      ),
    };
    if (opts.source) this.state.source = opts.source;
  }

  /**
   * Validates and realises a topology. On any failure everything created so far is removed
   * before the error is thrown.
   * @throws TopologyValidationError (nothing created), NotSupportedError (e.g. netem missing),
   *   NetlinkError / SyscallError naming the failed step.
   */
  static async up(topology: Topology | TopologySpec, opts: NetworkOptions = {}): Promise<Network> {
    const t = topology instanceof Topology ? topology : Topology.fromSpec(topology);
    const plan = t.plan(opts.prefix ?? runPrefix(t.spec.name), `x${randomBytes(2).toString('hex')}`);
    await requireNetemFor(plan.veths.flatMap((v) => (v.shaping ? [v.shaping] : [])));
    if (plan.programs.length > 0 && !opts.attachProgram) {
      throw new TopologyError(
        'the topology has tc programs but no attachProgram option was given',
        'programs',
      );
    }
    const net = new Network(plan, opts);
    // claimed exclusively: of two runs with one prefix, the second is refused before it makes anything
    if (!claimState(net.state, opts.stateDir ?? defaultStateDir())) {
      throw new TopologyError(
        `a testbed with prefix ${plan.prefix} is recorded already (tsbcc topology ls; clean or down removes it)`,
        'prefix',
      );
    }
    track(net.closer);
    try {
      await realise(net.ctx);
      for (const p of plan.programs) {
        const handle = await (opts.attachProgram as ProgramAttacher)(p, net);
        net.programs.push({ p, handle });
        net.ctx.journal.push({ kind: 'program', ns: p.ns, name: `${p.dev} ${p.direction} ${p.function}` });
        net.ctx.progress({ phase: 'programs', done: net.programs.length, total: plan.programs.length });
      }
    } catch (e) {
      logger().debug('topology up failed; rolling back', { prefix: plan.prefix, error: String(e) });
      await net.destroy();
      throw e;
    }
    net.state.status = 'up';
    writeState(net.state, opts.stateDir ?? defaultStateDir());
    return net;
  }

  /** Realises a topology, runs fn, and destroys the testbed in finally. */
  static async run<T>(
    topology: Topology | TopologySpec,
    fn: (net: Network) => Promise<T>,
    opts: NetworkOptions = {},
  ): Promise<T> {
    const net = await Network.up(topology, opts);
    try {
      return await fn(net);
    } finally {
      await net.destroy();
    }
  }

  /** The per-run prefix. */
  get prefix(): string {
    return this.plan.prefix;
  }

  /** Host names. */
  get hosts(): string[] {
    return this.plan.namespaces.filter((n) => !n.key.startsWith('@')).map((n) => n.key);
  }

  /** Every step done so far, in order. */
  get steps(): readonly Readonly<Step>[] {
    return this.ctx.journal;
  }

  private live(): void {
    if (this.destroyed) throw new ClosedError(`network ${this.prefix}`);
  }

  /** The namespace name of a host (for `ip netns exec NAME`). @throws TopologyError for unknown hosts. */
  nsName(host: string): string {
    const n = this.plan.namespaces.find((x) => x.key === host);
    if (!n) throw new TopologyError(`unknown host "${host}"`, `hosts.${host}`);
    return n.name;
  }

  /** The namespace object of a host (or '@fabric'); owned by the network. */
  namespace(host: string): NamedNamespace {
    this.live();
    const ns = this.ctx.namespaces.get(host);
    if (!ns) throw new TopologyError(`unknown host "${host}"`, `hosts.${host}`);
    return ns;
  }

  /** Addresses (CIDR) configured on a host, in plan order; `ifname` narrows to one device. */
  addressesOf(host: string, ifname?: string): string[] {
    const { plan } = this;
    const ifaces = [...plan.veths.flatMap((v) => [v.a, v.b]), ...plan.bridges, ...plan.vxlans];
    return ifaces.filter((i) => i.ns === host && (!ifname || i.name === ifname)).flatMap((i) => i.addresses);
  }

  /** The first IPv4 (else IPv6) address of a host, without prefix length. @throws TopologyError if none. */
  ipOf(host: string, ifname?: string): string {
    const all = this.addressesOf(host, ifname).map((a) => a.slice(0, a.indexOf('/')));
    const ip = all.find((a) => !a.includes(':')) ?? all[0];
    if (!ip)
      throw new TopologyError(
        `host "${host}" has no address${ifname ? ` on ${ifname}` : ''}`,
        `hosts.${host}`,
      );
    return ip;
  }

  /** Runs argv inside a host and resolves with its exit and output. */
  async exec(host: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.live();
    return execIn(this.nsName(host), argv, opts);
  }

  /** Starts a long-running process inside a host; destroy() stops it. */
  spawn(host: string, argv: readonly string[], opts?: SpawnOptions): HostProcess {
    this.live();
    const p = new HostProcess(this.nsName(host), argv, opts);
    this.processes.add(p);
    this.ctx.journal.push({ kind: 'process', ns: host, name: argv.join(' ') });
    void p.exited.then(() => this.processes.delete(p));
    return p;
  }

  /** Waits until `address` (no prefix length) is configured and usable (not tentative) in a host. */
  async waitForAddress(host: string, address: string, timeoutMs = 10_000): Promise<void> {
    const sock = await this.namespace(host).socket();
    await waitFor(
      `address ${address} in ${host}`,
      async () => (await listAddresses(sock)).some((a) => a.address === address && !a.tentative),
      timeoutMs,
    );
  }

  /** Waits until a device in a host is up with carrier. */
  async waitForLinkUp(host: string, ifname: string, timeoutMs = 10_000): Promise<void> {
    const sock = await this.namespace(host).socket();
    await waitFor(
      `link ${ifname} up in ${host}`,
      async () => {
        const l = await getLink(sock, ifname);
        return !!l && l.up && l.lowerUp;
      },
      timeoutMs,
    );
  }

  /** Waits until a TCP port is listening in a host. */
  async waitForTcpPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
    this.live();
    let sock = this.diagSockets.get(host);
    if (!sock) {
      sock = await NetlinkSocket.open(this.namespace(host).path, NETLINK_SOCK_DIAG);
      this.diagSockets.set(host, sock);
    }
    const s = sock;
    await waitFor(
      `TCP port ${port} listening in ${host}`,
      async () => (await listeningTcpPorts(s)).has(port),
      timeoutMs,
    );
  }

  /** Whether `from` reaches `to` (a host name or an address) with ping. */
  async ping(from: string, to: string, opts: { count?: number; timeoutS?: number } = {}): Promise<boolean> {
    const ip = this.plan.namespaces.some((n) => n.key === to) ? this.ipOf(to) : to;
    const argv = [
      'ping',
      ...(ip.includes(':') ? ['-6'] : []),
      '-n',
      '-q',
      '-c',
      String(opts.count ?? 1),
      '-W',
      String(opts.timeoutS ?? 2),
      ip,
    ];
    return (await this.exec(from, argv)).code === 0;
  }

  /** Pings between every ordered pair of hosts that have an address. */
  async pingAll(
    opts: { count?: number; timeoutS?: number; concurrency?: number } = {},
  ): Promise<ConnectivityMatrix> {
    const hosts = this.hosts.filter((h) => this.addressesOf(h).length > 0);
    const ok = hosts.map(() => hosts.map(() => false));
    const pairs = hosts.flatMap((a, i) => hosts.map((b, j) => [i, j] as const)).filter(([i, j]) => i !== j);
    await pool(pairs, opts.concurrency ?? 8, async ([i, j]) => {
      (ok[i] as boolean[])[j] = await this.ping(hosts[i] as string, hosts[j] as string, opts);
    });
    hosts.forEach((_, i) => ((ok[i] as boolean[])[i] = true));
    const failures = pairs.filter(([i, j]) => !ok[i]?.[j]).map(([i, j]) => `${hosts[i]} -> ${hosts[j]}`);
    return { hosts, ok, all: failures.length === 0, failures };
  }

  /**
   * Leaves the testbed up after this process ends (what `tsbcc topology up` does): closes
   * sockets, marks the state file detached. Remove it later with `tsbcc topology down`.
   */
  detach(): void {
    this.live();
    this.state.detached = true;
    writeState(this.state, this.opts.stateDir ?? defaultStateDir());
    untrack(this.closer);
    this.closeHandles();
    this.destroyed = true;
  }

  private closeHandles(): void {
    for (const s of this.diagSockets.values()) s.close();
    this.diagSockets.clear();
    this.ctx.root?.close();
    delete this.ctx.root;
    for (const ns of this.ctx.namespaces.values()) ns.close();
  }

  private teardown(): TeardownStep[] {
    return teardownPlan({
      processes: this.processes,
      programs: this.programs,
      journal: this.ctx.journal,
      namespaces: this.ctx.namespaces,
    });
  }

  /**
   * Stops processes, detaches programs, undoes root-namespace steps and deletes the namespaces,
   * all in reverse order of creation; then removes the state file (see teardown.ts). Idempotent;
   * undo failures are logged and do not stop the rest.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    untrack(this.closer);
    const dir = this.opts.stateDir ?? defaultStateDir();
    const total = this.ctx.namespaces.size;
    for (const step of this.teardown()) {
      switch (step.kind) {
        case 'mark-destroying':
          this.state.status = 'destroying';
          writeState(this.state, dir);
          break;
        case 'stop-processes':
          await Promise.all(step.processes.map((p) => p.stop()));
          break;
        case 'detach-program':
          try {
            await step.handle.close();
          } catch (e) {
            logger().warn('detaching a program failed', { error: String(e) });
          }
          break;
        case 'undo':
          try {
            await step.step.undo();
          } catch (e) {
            undoFailed(step.step, e);
          }
          break;
        case 'close-handles':
          this.closeHandles();
          break;
        case 'delete-namespaces':
          this.deleteNamespaces(step.steps);
          this.opts.onProgress?.({ phase: 'destroy', done: step.steps.length, total });
          break;
        case 'remove-state':
          removeState(this.prefix, dir);
          break;
      }
    }
  }

  /**
   * The same teardown, synchronously, run by the exit/signal registry (DESIGN D11): processes
   * are killed, programs detached without waiting, namespaces deleted. Root-namespace undo steps
   * need netlink round trips, so when there are any they are left, with the state file, for
   * `tsbcc topology clean`.
   */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    untrack(this.closer);
    let skipped = false;
    for (const step of this.teardown()) {
      switch (step.kind) {
        case 'mark-destroying':
          break; // the state file changes only when the run is gone
        case 'stop-processes':
          for (const p of step.processes) p.signal('SIGKILL');
          break;
        case 'detach-program':
          try {
            void Promise.resolve(step.handle.close()).catch(() => undefined);
          } catch {
            // best effort at exit
          }
          break;
        case 'undo':
          skipped = true;
          break;
        case 'close-handles':
          this.closeHandles();
          break;
        case 'delete-namespaces':
          this.deleteNamespaces(step.steps);
          break;
        case 'remove-state':
          if (!skipped) removeState(this.prefix, this.opts.stateDir ?? defaultStateDir());
          break;
      }
    }
  }

  private deleteNamespaces(steps: Step[]): void {
    const byNs = new Map<NamedNamespace, Step>();
    for (const s of steps) {
      const ns = this.ctx.namespaces.get(s.ns);
      if (ns) byNs.set(ns, s);
    }
    for (const [ns, e] of NamedNamespace.deleteMany([...byNs.keys()])) undoFailed(byNs.get(ns) as Step, e);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}
