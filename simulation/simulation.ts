/**
 * The Simulation helper the examples build on (the role BCC's simulation.py played): a testbed
 * from a YAML file under simulation/testbeds (or a Topology), with the conveniences examples
 * need — run commands in hosts, ping, measure with iperf3, name the interface a tc program goes
 * on — and removal of everything it made on destroy, Ctrl-C or exit.
 * Written against tsbcc's public entry point only.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tcProgramAttacher, type TcProgramAttacher } from './tc-programs.js';
import { fileURLToPath } from 'node:url';
import {
  type BpfObject,
  loadTopologyFile,
  Network,
  Topology,
  TopologyError,
  type ConnectivityMatrix,
  type ExecResult,
  type HostProcess,
  type NetworkOptions,
  type TopologySpec,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The directory of the bundled testbeds (works from the sources and from dist/). */
export function testbedsDir(): string {
  const candidates = [join(here, 'testbeds'), join(here, '..', '..', 'simulation', 'testbeds')];
  return candidates.find((d) => existsSync(d)) ?? (candidates[0] as string);
}

/** Resolves `bridge-4` (a bundled testbed) or a path to a YAML file. */
export function testbedPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const bundled = join(testbedsDir(), nameOrPath.endsWith('.yaml') ? nameOrPath : `${nameOrPath}.yaml`);
  if (existsSync(bundled)) return bundled;
  throw new TopologyError(`no testbed "${nameOrPath}" (neither a file nor one of ${testbedsDir()})`);
}

/** Where a tc program goes: the `{ netns, interface }` pair tc devices are opened with. */
export interface InterfaceRef {
  netns: string;
  interface: string;
}

/** Packets and bytes a device received and sent. */
export interface InterfaceCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
}

/** Quotes a word for a POSIX shell when it needs it (for commands printed to the user). */
export function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
}

/** What an iperf3 server received. */
export interface IperfResult {
  /** Bits per second. */
  bps: number;
  bytes: number;
  seconds: number;
}

/** Options of {@link Simulation.start}. */
export type SimulationOptions = NetworkOptions;

/** A running testbed for an example or a test. Destroy it with destroy() or `await using`. */
export class Simulation implements AsyncDisposable {
  private constructor(
    readonly net: Network,
    private readonly programs?: TcProgramAttacher,
  ) {}

  /**
   * Brings up a testbed: a bundled name (`bridge-4`), a YAML path, a Topology or a spec.
   * @throws TopologyValidationError (nothing created) or the error of the failed step (rolled back).
   */
  static async start(
    testbed: string | Topology | TopologySpec,
    opts: SimulationOptions = {},
  ): Promise<Simulation> {
    let t: Topology | TopologySpec = testbed as Topology | TopologySpec;
    let baseDir = process.cwd();
    if (typeof testbed === 'string') {
      const file = testbedPath(testbed);
      t = loadTopologyFile(file);
      baseDir = dirname(file);
      opts = { source: file, ...opts };
    }
    const spec = t instanceof Topology ? t.spec : t;
    let programs: TcProgramAttacher | undefined;
    if ((spec.programs?.length ?? 0) > 0 && !opts.attachProgram) {
      programs = tcProgramAttacher(baseDir);
      opts = { ...opts, attachProgram: programs.attach };
    }
    try {
      return new Simulation(await Network.up(t, opts), programs);
    } catch (e) {
      programs?.close();
      throw e;
    }
  }

  /** The per-run prefix of every name (namespaces are `<prefix>-<host>`). */
  get prefix(): string {
    return this.net.prefix;
  }

  /** The testbed's fabric namespace (where its bridges live unless placed in a host). */
  get fabricNs(): string {
    return this.net.nsName('@fabric');
  }

  /** Host names. */
  get hosts(): string[] {
    return this.net.hosts;
  }

  /** The namespace name of a host (for `ip netns exec`). */
  ns(host: string): string {
    return this.net.nsName(host);
  }

  /** The interface reference for attaching tc programs (e.g. `TcDevice.open(sim.iface('h1', 'eth0'))`). */
  iface(host: string, ifname: string): InterfaceRef {
    return { netns: this.net.nsName(host), interface: ifname };
  }

  /**
   * The command a user types in another shell to run argv in a host of this testbed:
   * `tsbcc topology exec -t PREFIX HOST -- ARGV...` (the same as `ip netns exec PREFIX-HOST ARGV...`).
   */
  tryCommand(host: string, ...argv: string[]): string {
    this.net.nsName(host); // unknown hosts throw here, not in the user's shell
    return ['tsbcc', 'topology', 'exec', '-t', this.prefix, host, '--', ...argv.map(shellWord)].join(' ');
  }

  /**
   * Interface counters of a device in a host (`ip -s link`, 64-bit stats).
   * @throws TopologyError when the device does not exist there.
   */
  async counters(host: string, ifname: string): Promise<InterfaceCounters> {
    const out = await this.run(host, 'ip', '-j', '-s', 'link', 'show', 'dev', ifname);
    const [link] = JSON.parse(out) as Array<{
      stats64?: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } };
    }>;
    const s = link?.stats64;
    if (!s) throw new TopologyError(`no counters for ${ifname} in ${host}`, `hosts.${host}`);
    return { rxPackets: s.rx.packets, rxBytes: s.rx.bytes, txPackets: s.tx.packets, txBytes: s.tx.bytes };
  }

  /** The first IPv4 address of a host (or of one of its interfaces). */
  ip(host: string, ifname?: string): string {
    return this.net.ipOf(host, ifname);
  }

  /** Runs a command in a host and returns its stdout. @throws TopologyError when it fails. */
  async run(host: string, ...argv: string[]): Promise<string> {
    return (await this.net.exec(host, argv, { check: true })).stdout;
  }

  /** Runs a command in a host and returns the full result (never throws on exit codes). */
  exec(host: string, ...argv: string[]): Promise<ExecResult> {
    return this.net.exec(host, argv);
  }

  /** Starts a long-running command in a host; destroy() ends it. */
  spawn(host: string, ...argv: string[]): HostProcess {
    return this.net.spawn(host, argv);
  }

  /** Whether `from` reaches `to` (host or address). */
  ping(from: string, to: string, count = 1): Promise<boolean> {
    return this.net.ping(from, to, { count });
  }

  /** The connectivity matrix of every host pair. */
  pingAll(): Promise<ConnectivityMatrix> {
    return this.net.pingAll();
  }

  /**
   * Measures TCP throughput from `client` to `server` with iperf3 (bits per second received),
   * with a one-shot server started for the run.
   * @throws TopologyError when iperf3 fails.
   */
  async iperf(
    client: string,
    server: string,
    opts: { seconds?: number; port?: number } = {},
  ): Promise<number> {
    const port = opts.port ?? 5201;
    const srv = this.net.spawn(server, ['iperf3', '-s', '-1', '-p', String(port)], { output: 'ignore' });
    try {
      await this.net.waitForTcpPort(server, port);
      return (await this.iperfClient(client, this.ip(server), { seconds: opts.seconds ?? 3, port })).bps;
    } finally {
      await srv.stop();
    }
  }

  /**
   * Starts an iperf3 server (`iperf3 -s`, serving one client at a time, forever) in each host
   * and waits until they listen; destroy() stops them.
   */
  async iperfServers(hosts: readonly string[], port = 5201): Promise<void> {
    for (const h of hosts) this.net.spawn(h, ['iperf3', '-s', '-p', String(port)], { output: 'ignore' });
    await Promise.all(hosts.map((h) => this.net.waitForTcpPort(h, port)));
  }

  /**
   * Runs an iperf3 client in `client` against a server at `address` (see iperfServers) and
   * returns what the server received. `window` (bytes) limits the socket buffers (`-w`).
   * @throws TopologyError when iperf3 fails (its error message included).
   */
  async iperfClient(
    client: string,
    address: string,
    opts: { seconds?: number; port?: number; window?: number } = {},
  ): Promise<IperfResult> {
    const seconds = opts.seconds ?? 3;
    // A window (socket buffer) sized to a slow path keeps iperf3 from queueing many seconds of
    // data that it would wait for after the test time.
    const window = opts.window === undefined ? [] : ['-w', String(Math.round(opts.window))];
    const r = await this.net.exec(
      client,
      ['iperf3', '-c', address, '-p', String(opts.port ?? 5201), '-t', String(seconds), ...window, '-J'],
      { timeoutMs: (seconds + 30) * 1000 },
    );
    let report: {
      error?: string;
      end?: { sum_received?: { bits_per_second: number; bytes: number; seconds: number } };
    };
    try {
      report = JSON.parse(r.stdout) as typeof report;
    } catch {
      throw new TopologyError(
        `iperf3 ${client} -> ${address} printed no report: ${r.stderr.trim() || r.stdout.trim()}`,
      );
    }
    const sum = report.end?.sum_received;
    if (r.code !== 0 || !sum) {
      throw new TopologyError(`iperf3 ${client} -> ${address} failed: ${report.error ?? r.stderr.trim()}`);
    }
    return { bps: sum.bits_per_second, bytes: sum.bytes, seconds: sum.seconds };
  }

  /** The BPF object compiled from one of the testbed's program files (to read its maps). */
  object(file: string): BpfObject | undefined {
    return this.programs?.object(file);
  }

  /** Removes everything the testbed made (filters, then BPF objects, then namespaces). Idempotent. */
  async destroy(): Promise<void> {
    await this.net.destroy();
    this.programs?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}
