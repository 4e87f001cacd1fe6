/**
 * `tsbcc flowmon`: the vxlan flow monitor as a service. Attaches to --dev (in --netns), prints
 * the top flows every -i seconds, serves --metrics ADDR:PORT (Prometheus, /flows.json, the d3
 * dashboard), removes idle flows. SIGTERM/SIGINT: detach everything and exit 0. SIGHUP: re-read
 * --config and apply it (the command line still wins over the file).
 */
import type { Command } from 'commander';
import { Flowmon } from '../deploy/flowmon.js';
import { readFlowmonConfig, resolveFlowmonOptions, type FlowmonInput } from '../deploy/flowmon-options.js';
import { TsbccError } from '../errors.js';

interface CliOptions {
  dev?: string;
  netns?: string;
  direction?: string;
  interval?: string;
  top?: string;
  count?: string;
  metrics?: string;
  idle?: string;
  vxlanPort?: string;
  maxFlows?: string;
  config?: string;
}

const toInput = (o: CliOptions): FlowmonInput => ({
  dev: o.dev,
  netns: o.netns,
  direction: o.direction,
  interval: o.interval,
  top: o.top,
  count: o.count,
  metrics: o.metrics,
  idle: o.idle,
  'vxlan-port': o.vxlanPort,
  'max-flows': o.maxFlows,
});

/** Runs flowmon until a stop signal (or --count tables); resolves with the exit code. */
export async function runFlowmon(o: CliOptions): Promise<number> {
  const cli = toInput(o);
  const load = (): ReturnType<typeof resolveFlowmonOptions> =>
    resolveFlowmonOptions(cli, o.config ? readFlowmonConfig(o.config) : {}, o.config);
  const svc = await Flowmon.start(load(), (t) => console.log(t));
  let timer: NodeJS.Timeout | undefined;
  let tables = 0;
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      clearTimeout(timer);
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.removeListener(s, onStop);
      process.removeListener('SIGHUP', onHup);
      svc.close().then(
        () => {
          console.log(`flowmon: ${why}: detached from ${svc.options.dev}, unloaded, stopped`);
          resolve(0);
        },
        (e: unknown) => {
          console.error(`flowmon: stopping: ${e instanceof Error ? e.message : String(e)}`);
          resolve(1);
        },
      );
    };
    const schedule = (): void => {
      timer = setTimeout(() => {
        try {
          svc.tick();
        } catch (e) {
          console.error(`flowmon: ${e instanceof Error ? e.message : String(e)}`);
        }
        tables++;
        if (svc.options.count !== undefined && tables >= svc.options.count) stop(`${tables} tables`);
        else schedule();
      }, svc.options.interval * 1000);
    };
    const onStop = (sig: NodeJS.Signals): void => stop(sig);
    const onHup = (): void => {
      let next;
      try {
        next = load();
      } catch (e) {
        console.error(
          `flowmon: SIGHUP: kept the running options: ${e instanceof Error ? e.message : String(e)}`,
        );
        return;
      }
      svc.reload(next).then(
        (changes) => {
          console.log(`flowmon: SIGHUP: ${changes.length ? changes.join('; ') : 'nothing changed'}`);
          clearTimeout(timer);
          schedule();
        },
        (e: unknown) =>
          console.error(
            `flowmon: SIGHUP: kept the running options: ${e instanceof Error ? e.message : String(e)}`,
          ),
      );
    };
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGHUP', onHup);
    schedule();
  });
}

/** Adds `tsbcc flowmon` to the CLI. */
export function registerFlowmonCommand(program: Command): void {
  program
    .command('flowmon')
    .description(
      'vxlan flow monitor service: top flows every interval, Prometheus /metrics and the dashboard',
    )
    .option('--dev <ifname>', 'the underlay interface the tunnels run over (required here or in --config)')
    .option('--netns <ns>', 'its network namespace (name or path)')
    .option('--direction <dir>', 'tc hooks: both, ingress or egress (default both)')
    .option('-i, --interval <seconds>', 'seconds between two tables (default 5)')
    .option('-n, --top <rows>', 'flows per table (default 10)')
    .option('-c, --count <tables>', 'exit after this many tables')
    .option('--metrics <addr:port>', 'serve /metrics (Prometheus), /flows.json and the dashboard, e.g. :9100')
    .option('--idle <seconds>', 'remove a flow after this long without a packet (default 300)')
    .option('--vxlan-port <port>', 'VXLAN UDP port (default 4789)')
    .option('--max-flows <n>', 'size of the flow table, an LRU hash (default 65536)')
    .option('--config <file>', 'YAML file of the same options (long names); SIGHUP re-reads it')
    .addHelpText(
      'after',
      '\nIdle flows are swept out of the table before every table is printed (they are gone within\n' +
        '--idle + --interval seconds); the table is an LRU hash, so a full table evicts the least\n' +
        'recently used flow rather than missing new ones. SIGTERM or SIGINT detaches and exits 0;\n' +
        'SIGHUP re-reads --config (command-line options win over the file).',
    )
    .action(async (o: CliOptions) => {
      try {
        process.exitCode = await runFlowmon(o);
      } catch (e) {
        if (e instanceof TsbccError) {
          console.error(`tsbcc flowmon: ${e.message}`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
    });
}
