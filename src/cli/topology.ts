/**
 * `tsbcc topology up|down|ls|exec|clean`: YAML testbeds brought up and left running, listed,
 * entered, and removed; `clean` removes exactly the leftovers of runs that crashed.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { keptTcAttacher } from './topology-programs.js';
import { TopologyError } from '../errors.js';
import {
  cleanLeftovers,
  listStates,
  loadTopologyFile,
  Network,
  ownerAlive,
  removeRun,
  type ProgressEvent,
  type RunState,
} from '../topology/index.js';

function progressPrinter(): (e: ProgressEvent) => void {
  let last = '';
  return (e) => {
    if (e.total === 0) return;
    if (!process.stderr.isTTY) {
      if (e.done === e.total && e.phase !== last) process.stderr.write(`${e.phase}: ${e.total} done\n`);
      if (e.done === e.total) last = e.phase;
      return;
    }
    process.stderr.write(`\r\x1b[K${e.phase}: ${e.done}/${e.total}`);
    if (e.done === e.total) process.stderr.write('\n');
  };
}

/** The run matching a prefix or testbed name (must be unique). */
function findRun(which: string, states: RunState[]): RunState {
  const exact = states.find((s) => s.prefix === which);
  if (exact) return exact;
  const named = states.filter((s) => s.name === which || s.prefix.startsWith(`${which}-`));
  if (named.length === 1 && named[0]) return named[0];
  if (named.length > 1) {
    throw new TopologyError(`"${which}" matches several testbeds: ${named.map((s) => s.prefix).join(', ')}`);
  }
  throw new TopologyError(`no testbed "${which}" (see tsbcc topology ls)`);
}

const STATE_DIR_OPTION = [
  '--state-dir <dir>',
  `where run state files are kept (default $TSBCC_RUN_DIR/topology, else /run/tsbcc/topology)`,
] as const;

/** Adds the `topology` command group to the CLI. */
export function registerTopologyCommands(program: Command): void {
  const topo = program.command('topology').description('network testbeds in namespaces (YAML)');

  topo
    .command('up <file>')
    .description('bring a YAML testbed up and leave it running')
    .option('--prefix <prefix>', 'the run prefix of every name (default NAME-<hex>)')
    .option('-j, --concurrency <n>', 'namespaces worked on at once', '8')
    .option(...STATE_DIR_OPTION)
    .action(async (file: string, opts: { prefix?: string; concurrency: string; stateDir?: string }) => {
      const t = loadTopologyFile(file);
      const started = Date.now();
      const net = await Network.up(t, {
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
        ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
        concurrency: Number(opts.concurrency),
        onProgress: progressPrinter(),
        source: file,
        ...((t.spec.programs?.length ?? 0) > 0 ? { attachProgram: keptTcAttacher(dirname(file)) } : {}),
      });
      const hosts = net.hosts.map((h) => `  ${h}\t${net.nsName(h)}`).join('\n');
      net.detach();
      console.log(`testbed ${net.prefix} is up (${Date.now() - started} ms)\n${hosts}`);
      console.log(`enter a host: tsbcc topology exec HOST -- CMD, or ip netns exec NAMESPACE CMD`);
      console.log(`remove it:    tsbcc topology down ${net.prefix}`);
    });

  topo
    .command('down <testbed>')
    .description('remove a testbed (by prefix or name) and everything it created')
    .option(...STATE_DIR_OPTION)
    .action(async (which: string, opts: { stateDir?: string }) => {
      const s = findRun(which, listStates(opts.stateDir));
      if (ownerAlive(s) && !s.detached) {
        throw new TopologyError(`testbed ${s.prefix} belongs to running process ${s.pid}; stop that instead`);
      }
      const r = await removeRun(s, opts.stateDir);
      console.log(
        `removed ${r.prefix}: ${r.namespaces.length} namespaces, ${r.rootIfaces.length} root interfaces`,
      );
    });

  topo
    .command('ls')
    .description('list testbeds recorded under /run/tsbcc/topology')
    .option('--json', 'print as JSON')
    .option(...STATE_DIR_OPTION)
    .action((opts: { json?: boolean; stateDir?: string }) => {
      const states = listStates(opts.stateDir);
      if (opts.json) {
        console.log(JSON.stringify(states, null, 2));
        return;
      }
      if (states.length === 0) {
        console.log('no testbeds');
        return;
      }
      console.log('PREFIX\tSTATUS\tOWNER\tHOSTS\tSOURCE');
      for (const s of states) {
        const owner = s.detached ? 'detached' : ownerAlive(s) ? `pid ${s.pid}` : `dead (pid ${s.pid})`;
        console.log(
          `${s.prefix}\t${s.status}\t${owner}\t${Object.keys(s.hosts ?? {}).length}\t${s.source ?? ''}`,
        );
      }
    });

  topo
    .command('exec <host> <cmd...>')
    .description('run a command inside a host: tsbcc topology exec h1 -- ping -c1 10.0.0.2')
    .allowUnknownOption()
    .option('-t, --testbed <testbed>', 'which testbed (when several are up)')
    .option(...STATE_DIR_OPTION)
    .action(async (host: string, cmd: string[], opts: { testbed?: string; stateDir?: string }) => {
      const states = listStates(opts.stateDir).filter((s) => s.hosts?.[host] !== undefined);
      const s = opts.testbed ? findRun(opts.testbed, states) : states.length === 1 ? states[0] : undefined;
      if (!s) {
        throw new TopologyError(
          states.length === 0
            ? `no testbed has a host "${host}"`
            : `several testbeds have a host "${host}" (${states.map((x) => x.prefix).join(', ')}); pick one with --testbed`,
        );
      }
      const ns = s.hosts?.[host] as string;
      const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: 'inherit' });
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
      });
      process.exitCode = code;
    });

  topo
    .command('clean')
    .description('remove the leftovers of testbeds whose process died (never live ones)')
    .option('--all', 'also remove detached testbeds left up by `topology up`')
    .option(...STATE_DIR_OPTION)
    .action(async (opts: { all?: boolean; stateDir?: string }) => {
      const reports = await cleanLeftovers({
        all: !!opts.all,
        ...(opts.stateDir ? { dir: opts.stateDir } : {}),
      });
      if (reports.length === 0) console.log('nothing to clean');
      for (const r of reports) {
        console.log(
          `removed ${r.prefix}: ${r.namespaces.length} namespaces, ${r.rootIfaces.length} root interfaces`,
        );
      }
    });
}
