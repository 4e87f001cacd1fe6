/**
 * Overlay traffic that goes on while the tunnel_monitor serves its diagram, so the flows keep
 * growing: every period, a burst of pings host0 -> host1 over VNI 10 and a short iperf3
 * transfer over VNI 20, alternately host0 -> host1 and host1 -> host0 (iperf3 -R), so both
 * directions of both flows move. stop() ends the running command and the iperf3 server.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Simulation } from '../../../simulation/index.js';

/** Options of {@link startLiveTraffic}. */
export interface LiveTrafficOptions {
  /** Time between the starts of two rounds (default 1000 ms). */
  periodMs?: number;
  /** iperf3 bytes per round (`-n`, default 256K). */
  bytes?: string;
  log?: (line: string) => void;
}

/** Traffic running in the background; stop() ends it and resolves once every process exited. */
export interface LiveTraffic {
  /** Rounds completed so far. */
  readonly rounds: number;
  stop(): Promise<void>;
}

/**
 * Starts the rounds in the testbed of `sim` (the `tunnel_monitor` testbed: host0 and host1,
 * 192.168.10.0/24 on VNI 10 and 192.168.20.0/24 on VNI 20). A failing round is logged, not
 * thrown: the next round tries again.
 */
export async function startLiveTraffic(sim: Simulation, opts: LiveTrafficOptions = {}): Promise<LiveTraffic> {
  const log = opts.log ?? ((): void => undefined);
  const period = opts.periodMs ?? 1000;
  const abort = new AbortController();
  const signal = abort.signal;
  // its per-second reports are not read: ignore them so a full pipe never blocks it
  const srv = sim.net.spawn('host1', ['iperf3', '-s', '-B', '192.168.20.2'], { output: 'ignore' });
  try {
    await sim.net.waitForTcpPort('host1', 5201);
  } catch (e) {
    await srv.stop();
    throw e;
  }
  let rounds = 0;
  const round = async (reverse: boolean): Promise<void> => {
    const steps: string[][] = [
      ['ping', '-c', '10', '-i', '0.05', '-s', '1000', '-W', '1', '192.168.10.2'],
      ['iperf3', '-c', '192.168.20.2', '-n', opts.bytes ?? '256K', ...(reverse ? ['-R'] : [])],
    ];
    for (const argv of steps) {
      if (signal.aborted) return;
      try {
        const r = await sim.net.exec('host0', argv, { signal, timeoutMs: 20_000 });
        if (!signal.aborted && r.code !== 0)
          log(`live traffic: ${argv.join(' ')} exited with ${r.code ?? r.signal}`);
      } catch (e) {
        if (!signal.aborted)
          log(`live traffic: ${argv[0]} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  const loop = (async (): Promise<void> => {
    while (!signal.aborted) {
      const started = Date.now();
      await round(rounds % 2 === 1);
      if (signal.aborted) break;
      rounds++;
      // pacing between rounds, not synchronisation: the next round starts one period after this one
      await delay(Math.max(0, period - (Date.now() - started)), undefined, { signal }).catch(() => undefined);
    }
  })();
  let stopped: Promise<void> | undefined;
  return {
    get rounds() {
      return rounds;
    },
    stop: () =>
      (stopped ??= (async () => {
        abort.abort();
        await loop;
        await srv.stop();
      })()),
  };
}
