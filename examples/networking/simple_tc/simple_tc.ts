/**
 * simple_tc: the smallest tc example. The `hello` classifier (every packet goes into class 1
 * and passes; it counts what it saw) is attached to t1b in host "b" of the `simple_tc`
 * testbed, on ingress and on egress. Egress goes where BCC put it, under an sfq root qdisc
 * (handle 1:), when the kernel has sfq; otherwise on the clsact egress hook, and the example
 * says which. Pings from host "a" then cross both hooks, and the program's own counters must
 * equal the interface's counters: proof that it ran on every packet, not only that pings pass.
 *
 * `tsbcc example simple_tc --help` lists the options. Everything is removed at the end, on
 * Ctrl-C and on errors.
 */
import {
  BPF,
  features,
  NotSupportedError,
  TcDevice,
  type BpfFilterOptions,
  type Link,
} from '../../../src/index.js';
import { Simulation } from '../../../simulation/index.js';
import {
  choiceOption,
  exampleCommand,
  numberOption,
  runExampleMain,
  runIfMain,
  type CommonRunOptions,
  type LogFn,
} from '../../common/cli.js';
import { holdUntilStopped } from '../../common/interactive.js';
import { assetPath } from '../../common/paths.js';
import { Checks, formatTable, parsePingSummary, type ExampleReport } from '../../common/report.js';

/** One hook's view: what hello counted and what the interface counted meanwhile. */
export interface HookCount {
  hook: 'ingress' | 'egress';
  /** Where the filter hangs: `clsact ingress`, `sfq 1:` or `clsact egress`. */
  placement: string;
  programPackets: number;
  programBytes: number;
  interfacePackets: number;
  interfaceBytes: number;
}

/** What the example observed. */
export interface SimpleTcResult extends ExampleReport {
  /** `tc filter show dev t1b ingress` and `... egress` (or `parent 1:`) while attached. */
  filterShow: { ingress: string; egress: string };
  /** Why egress is where it is. */
  egressReason: string;
  /** The program ids the kernel gave the two hellos. */
  programIds: { ingress: number; egress: number };
  pings: { sent: number; received: number };
  counts: HookCount[];
  /** `tc filter show` for both hooks after removal (empty when nothing is left). */
  filterShowAfter: string;
}

/** Options of {@link runSimpleTc}. */
export interface SimpleTcOptions extends CommonRunOptions {
  /** Ping interval in seconds (default 0.1). */
  interval?: number;
  /** Force egress onto clsact even where sfq exists (default: sfq where it exists, as BCC). */
  egress?: 'auto' | 'sfq' | 'clsact';
}

interface Seen {
  packets: bigint | number;
  bytes: bigint | number;
}

const IFACE = 't1b';

async function chooseEgress(want: 'auto' | 'sfq' | 'clsact'): Promise<{ sfq: boolean; reason: string }> {
  const f = await features();
  if (want === 'clsact') return { sfq: false, reason: 'clsact egress was asked for' };
  if (want === 'sfq' && !f.has('sfq')) {
    throw new NotSupportedError('sfq qdisc', f.get('sfq').kernelOption, 'use --egress clsact');
  }
  if (want === 'sfq' || f.has('sfq')) {
    return {
      sfq: true,
      reason: want === 'sfq' ? 'sfq was asked for' : 'the kernel has sfq: an sfq root qdisc 1: as in BCC',
    };
  }
  return {
    sfq: false,
    reason: `this kernel has no sfq (${f.get('sfq').kernelOption}): the clsact egress hook instead`,
  };
}

/** Brings up the testbed, attaches hello twice, drives pings (or waits for Ctrl-C), compares counts. */
export async function runSimpleTc(opts: SimpleTcOptions = {}): Promise<SimpleTcResult> {
  const log: LogFn = opts.log ?? ((): void => undefined);
  const mode = opts.mode ?? { kind: 'duration', seconds: 2 };
  const egressChoice = await chooseEgress(opts.egress ?? 'auto');

  await using sim = await Simulation.start('simple_tc');
  log(`testbed ${sim.prefix} up: hosts ${sim.hosts.join(', ')}; t1a (a) <-> t1b (b)`);
  // One object per hook, so each has its own `seen` counters (the compile is cached).
  const source = assetPath(import.meta.url, 'simple_tc.c');
  using atIngress = await BPF.create({ file: source });
  using atEgress = await BPF.create({ file: source });
  const hello = {
    ingress: atIngress.loadFunc('hello', 'SCHED_CLS'),
    egress: atEgress.loadFunc('hello', 'SCHED_CLS'),
  };

  const links: Link[] = [];
  const dev = await TcDevice.open(sim.iface('b', IFACE));
  try {
    // Classid mode, as BCC's example (`... bpf ... classid 1`): 1 is a class, not a verdict.
    const classid: BpfFilterOptions = { directAction: false, classid: '0:1', name: 'hello' };
    links.push(await dev.attachBpf(hello.ingress, { ...classid, parent: 'ingress' }));
    let egressParent: 'egress' | '1:' = 'egress';
    if (egressChoice.sfq) {
      links.push(await dev.addQdisc({ kind: 'sfq', handle: '1:' }));
      egressParent = '1:';
    }
    links.push(await dev.attachBpf(hello.egress, { ...classid, parent: egressParent }));
    const placement = { ingress: 'clsact ingress', egress: egressChoice.sfq ? 'sfq 1:' : 'clsact egress' };
    log(`hello attached to ${IFACE} in b: ingress on ${placement.ingress}, egress on ${placement.egress}`);
    log(`  (${egressChoice.reason})`);

    const showArgs = (hook: 'ingress' | 'egress'): string[] =>
      hook === 'egress' && egressChoice.sfq
        ? ['tc', 'filter', 'show', 'dev', IFACE, 'parent', '1:']
        : ['tc', 'filter', 'show', 'dev', IFACE, hook];
    const filterShow = {
      ingress: await sim.run('b', ...showArgs('ingress')),
      egress: await sim.run('b', ...showArgs('egress')),
    };
    log(`host b: ${showArgs('ingress').join(' ')}\n${filterShow.ingress.trimEnd()}`);
    log(`host b: ${showArgs('egress').join(' ')}\n${filterShow.egress.trimEnd()}`);

    const read = (obj: BPF): { packets: number; bytes: number } => {
      const s = obj.table<number, Seen>('seen').get(0);
      return { packets: Number(s?.packets ?? 0), bytes: Number(s?.bytes ?? 0) };
    };
    const before = await sim.counters('b', IFACE);
    const startSeen = { ingress: read(atIngress), egress: read(atEgress) };

    let pings = { sent: 0, received: 0 };
    if (mode.kind === 'duration') {
      const interval = opts.interval ?? 0.1;
      const count = Math.max(1, Math.round(mode.seconds / interval));
      const r = await sim.exec(
        'a',
        'ping',
        '-c',
        String(count),
        '-i',
        String(interval),
        '-W',
        '2',
        sim.ip('b'),
      );
      pings = parsePingSummary(r.stdout);
      log(
        `ping a -> b (${count} at ${interval} s) through both hooks: ${pings.received}/${pings.sent} replies`,
      );
    } else {
      let last = '';
      await holdUntilStopped(
        mode,
        sim,
        log,
        [
          { note: 'traffic through both hooks', host: 'a', argv: ['ping', '-c', '5', sim.ip('b')] },
          { note: 'the filters, with their program ids', host: 'b', argv: showArgs('ingress') },
          { note: 'the egress side', host: 'b', argv: showArgs('egress') },
        ],
        {
          tick: () => {
            const i = read(atIngress);
            const e = read(atEgress);
            const line = `hello has seen ${i.packets} packets on ingress, ${e.packets} on egress`;
            if (line !== last) log(line);
            last = line;
          },
          tickMs: 2000,
        },
      );
    }
    const after = await sim.counters('b', IFACE);
    const endSeen = { ingress: read(atIngress), egress: read(atEgress) };
    const counts: HookCount[] = (['ingress', 'egress'] as const).map((hook) => ({
      hook,
      placement: placement[hook],
      programPackets: endSeen[hook].packets - startSeen[hook].packets,
      programBytes: endSeen[hook].bytes - startSeen[hook].bytes,
      interfacePackets:
        hook === 'ingress' ? after.rxPackets - before.rxPackets : after.txPackets - before.txPackets,
      interfaceBytes: hook === 'ingress' ? after.rxBytes - before.rxBytes : after.txBytes - before.txBytes,
    }));
    const table = formatTable([
      ['hook', 'placement', 'hello packets', 'hello bytes', `${IFACE} packets`, `${IFACE} bytes`],
      ...counts.map((c) => [
        c.hook,
        c.placement,
        String(c.programPackets),
        String(c.programBytes),
        String(c.interfacePackets),
        String(c.interfaceBytes),
      ]),
    ]);
    log(table);

    const checks = new Checks();
    const programIds = { ingress: hello.ingress.id, egress: hello.egress.id };
    for (const hook of ['ingress', 'egress'] as const) {
      checks.add(
        `tc lists hello on ${placement[hook]}`,
        filterShow[hook].includes(`id ${programIds[hook]}`) && filterShow[hook].includes('hello'),
        `program id ${programIds[hook]}`,
      );
    }
    if (mode.kind === 'duration') {
      checks.add(
        'every ping answered through hello',
        pings.sent > 0 && pings.received === pings.sent,
        `${pings.received}/${pings.sent}`,
      );
    }
    for (const c of counts) {
      checks.add(
        `hello ran on every ${c.hook} packet of ${IFACE}`,
        c.programPackets > 0 &&
          c.programPackets === c.interfacePackets &&
          c.programBytes === c.interfaceBytes,
        `hello ${c.programPackets} packets/${c.programBytes} bytes, ${IFACE} ${c.interfacePackets}/${c.interfaceBytes}`,
      );
    }

    for (const l of links.reverse()) await l.close();
    links.length = 0;
    const filterShowAfter =
      (await sim.run('b', ...showArgs('ingress'))) +
      (await sim.run('b', 'tc', 'filter', 'show', 'dev', IFACE, 'egress'));
    checks.add(
      'removing the filters leaves nothing on t1b',
      filterShowAfter.trim() === '',
      filterShowAfter.trim() || 'nothing left',
    );
    return {
      example: 'simple_tc',
      prefix: sim.prefix,
      checks: checks.list,
      summary: counts.map(
        (c) =>
          `${c.hook} (${c.placement}): hello ran ${c.programPackets} times, ${IFACE} counted ${c.interfacePackets} packets`,
      ),
      filterShow,
      egressReason: egressChoice.reason,
      programIds,
      pings,
      counts,
      filterShowAfter,
    };
  } finally {
    for (const l of links.reverse()) await l.close();
    dev.close();
  }
}

/** `tsbcc example simple_tc [options]`. */
export function main(argv: readonly string[]): Promise<number> {
  const cmd = exampleCommand(
    'simple_tc',
    'the smallest tc classifier, on ingress and egress, with proof it ran',
  )
    .option(
      '--egress <where>',
      'egress hook: auto (sfq 1: where the kernel has sfq, as BCC), sfq or clsact',
      choiceOption('egress', ['auto', 'sfq', 'clsact'] as const),
      'auto' as const,
    )
    .option(
      '--interval <seconds>',
      'ping interval in --duration mode',
      numberOption('interval', { min: 0.01, max: 10 }),
      0.1,
    )
    .addHelpText(
      'after',
      '\nWith --duration S, host a pings host b for S seconds; the example exits 0 when every ping was\n' +
        "answered and hello's own counters equal t1b's interface counters on both hooks.",
    );
  return runExampleMain<{ egress: 'auto' | 'sfq' | 'clsact'; interval: number }>(cmd, argv, (o, common) =>
    runSimpleTc({ ...common, egress: o.egress, interval: o.interval }),
  );
}

runIfMain(import.meta.url, main);
