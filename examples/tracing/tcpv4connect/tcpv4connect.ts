/**
 * tcpv4connect: every IPv4 TCP connect() on the machine, `PID COMM SADDR DADDR DPORT`, as
 * BCC's example (attempts are shown even if they fail later). BCC's form keeps the socket in a
 * kprobe on tcp_v4_connect and prints its addresses from the kretprobe; where the kernel has
 * no kprobes the example announces sock:inet_sock_set_state and prints the CLOSE -> SYN_SENT
 * transition, which tcp_v4_connect makes in the connecting process.
 *
 * `tsbcc example tcpv4connect` runs until Ctrl-C. `--duration S` brings up a testbed of two
 * hosts (namespaces), starts a listener in b, runs curl three times from a, and exits 0 only
 * when exactly three lines came from the curl processes, a -> b port 8080.
 */
import { BPF, parseTraceLine, type TraceFields } from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';
import { exampleCommand, numberOption, runExampleMain, runIfMain, type LogFn } from '../../common/cli.js';
import { assetPath } from '../../common/paths.js';
import { Checks, type ExampleReport } from '../../common/report.js';
import {
  addAttachOption,
  announce,
  chooseForm,
  followTrace,
  settle,
  traceWindow,
  type AttachChoice,
  type ChosenForm,
  type TracingRunOptions,
} from '../common/trace-example.js';

/** The listener's port in the --duration testbed. */
export const PORT = 8080;

/** One traced connect. */
export interface Connect {
  pid: number;
  comm: string;
  saddr: string;
  daddr: string;
  dport: number;
}

/** BCC's inet_ntoa of a hex u32 as printed by the program (network order in memory). */
export function inetNtoa(hex: string): string {
  let addr = Number.parseInt(hex, 16);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.push(addr & 0xff);
    addr = Math.floor(addr / 256);
  }
  return out.join('.');
}

/** The connect in a trace_pipe line with BCC's tag, or undefined (other tracers' lines). */
export function parseConnect(f: TraceFields): Connect | undefined {
  const m = /^trace_tcp4connect ([0-9a-f]+) ([0-9a-f]+) (\d+)$/.exec(f.msg);
  if (!m) return undefined;
  return {
    pid: f.pid,
    comm: f.task,
    saddr: inetNtoa(m[1] ?? '0'),
    daddr: inetNtoa(m[2] ?? '0'),
    dport: Number(m[3]),
  };
}

/** BCC's header and line: `%-6d %-12.12s %-16s %-16s %-4s`. */
export const HEADER = `${'PID'.padEnd(6)} ${'COMM'.padEnd(12)} ${'SADDR'.padEnd(16)} ${'DADDR'.padEnd(16)} ${'DPORT'.padEnd(4)}`;
export function formatConnect(c: Connect): string {
  return `${String(c.pid).padEnd(6)} ${c.comm.slice(0, 12).padEnd(12)} ${c.saddr.padEnd(16)} ${c.daddr.padEnd(16)} ${String(c.dport).padEnd(4)}`;
}

/** Options of {@link runTcpv4connect}. */
export interface Tcpv4connectOptions extends TracingRunOptions {
  /** curl runs of the --duration workload (default 3). */
  connects?: number;
}

/** What the example printed. */
export interface Tcpv4connectResult extends ExampleReport {
  form: ChosenForm;
  connects: Connect[];
  /** The printed lines, header first. */
  lines: string[];
  /** The --duration workload: curl pids and the addresses. */
  workload?: { pids: number[]; client: string; server: string };
}

/** Prints every IPv4 TCP connect until Ctrl-C or for the duration. */
export async function runTcpv4connect(opts: Tcpv4connectOptions = {}): Promise<Tcpv4connectResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 3 };
  const form = chooseForm(opts.attach ?? 'auto', 'sock:inet_sock_set_state');
  await using sim = mode.kind === 'duration' ? await Simulation.start('two-hosts') : undefined;
  using b = await BPF.create({ file: assetPath(import.meta.url, 'tcpv4connect.c'), autoAttach: false });
  if (form.kprobe) {
    b.attachKprobe({ event: 'tcp_v4_connect', fnName: 'kprobe__tcp_v4_connect' });
    b.attachKretprobe({ event: 'tcp_v4_connect', fnName: 'kretprobe__tcp_v4_connect' });
  } else
    b.attachTracepoint({ tp: 'sock:inet_sock_set_state', fnName: 'tracepoint__sock__inet_sock_set_state' });
  announce(log, form);
  if (sim)
    log(
      `workload: testbed ${sim.prefix}, curl from a (${sim.ip('a')}) to a listener in b (${sim.ip('b')}:${PORT})`,
    );

  const lines = [HEADER];
  log(HEADER);
  const connects: Connect[] = [];
  // the program keeps each connecting thread's name, and that is what is printed: trace_pipe's
  // COMM comes from the kernel's saved-cmdlines cache, which answers "<...>" for a pid it has
  // not recorded (seen in the 6.1 guest) and can hold a name from before an exec
  const comms = b.table<number, { comm: string }>('comms', { strings: true });
  const trace = await followTrace(
    b,
    (_raw, f) => {
      const c = f && parseConnect(f);
      if (!c) return;
      c.comm = comms.get(c.pid)?.comm ?? c.comm;
      comms.delete(c.pid);
      connects.push(c);
      const line = formatConnect(c);
      lines.push(line);
      log(line);
    },
    parseTraceLine,
  );
  const n = opts.connects ?? 3;
  const pids: number[] = [];
  const fromCurl = (): Connect[] => connects.filter((c) => pids.includes(c.pid));
  try {
    await traceWindow(mode, async () => {
      if (!sim) return;
      const server = sim.spawn(
        'b',
        'python3',
        '-c',
        'import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n' +
          `s.bind(("0.0.0.0", ${PORT}))\ns.listen(16)\nwhile True:\n    c, _ = s.accept()\n    c.close()\n`,
      );
      try {
        // a bound, not a pace: python took over 10 s to listen in the emulated 6.1 guest
        await sim.net.waitForTcpPort('b', PORT, 120_000);
        for (let i = 0; i < n; i++) {
          const curl = sim.spawn(
            'a',
            'curl',
            '-s',
            '-o',
            '/dev/null',
            '--max-time',
            '5',
            `http://${sim.ip('b')}:${PORT}/`,
          );
          if (curl.pid !== undefined) pids.push(curl.pid);
          await curl.exited;
        }
        if (await trace.until(() => fromCurl().length >= n)) await settle();
      } finally {
        await server.stop();
      }
    });
  } finally {
    trace.stop();
  }
  const checks = new Checks();
  let workload: Tcpv4connectResult['workload'];
  if (sim) {
    workload = { pids, client: sim.ip('a'), server: sim.ip('b') };
    const seen = fromCurl();
    checks.add(
      `one line per curl (pids ${pids.join(', ')})`,
      seen.length === n && new Set(seen.map((c) => c.pid)).size === n,
      `${seen.length} lines for ${n} connects`,
    );
    checks.add(
      `each is curl, ${workload.client} -> ${workload.server} port ${PORT}`,
      seen.length > 0 &&
        seen.every(
          (c) =>
            c.comm === 'curl' &&
            c.saddr === workload?.client &&
            c.daddr === workload.server &&
            c.dport === PORT,
        ),
      seen.map(formatConnect).join(' | ') || 'none',
    );
  }
  return {
    example: 'tcpv4connect',
    prefix: sim?.prefix ?? '',
    checks: checks.list,
    summary: [`${connects.length} IPv4 connects`],
    form,
    connects,
    lines,
    ...(workload ? { workload } : {}),
  };
}

/** `tsbcc example tcpv4connect [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = addAttachOption(
    exampleCommand('tcpv4connect', 'every IPv4 TCP connect: pid, comm, addresses, port'),
  ).option(
    '--connects <n>',
    'curl runs of the --duration workload',
    numberOption('connects', { min: 1, max: 100, integer: true }),
    3,
  );
  return runExampleMain<{ attach: AttachChoice; connects: number }>(cmd, argv, (o, common) =>
    runTcpv4connect({ ...common, attach: o.attach, connects: o.connects }),
  );
}

runIfMain(import.meta.url, main);
