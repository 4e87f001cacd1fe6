/**
 * tunnel_monitor's traffic generator (what BCC's traffic.sh did in tmux windows): pings of
 * several sizes between many client pairs of the testbed, spread over the hosts and VNIs, with
 * one "culprit" pair sending much more than the others (BCC's README suggests finding it on the
 * chord diagram). The plan is drawn from a seed, so a run can be repeated.
 *
 * Clients: host i's client in VNI k is c<k>a, 192.168.k.(i+1) (the tunnel_monitor testbed).
 */
import { setMaxListeners } from 'node:events';
import type { Simulation } from '../../../simulation/index.js';
import { parsePingSummary } from '../../common/report.js';

/** ICMP payload sizes the pairs use (the clients' MTU is 1450). */
export const PING_SIZES = [56, 128, 512, 768, 1024, 1400] as const;

/** One pair of clients pinging. */
export interface PingPair {
  /** Host index of the pinging client and of the answering one. */
  from: number;
  to: number;
  /** VNI index (0-3: VNI 10000+k). */
  vni: number;
  /** ICMP payload bytes. */
  size: number;
  /** Seconds between two pings. */
  interval: number;
}

/** What a pair did in one round. */
export interface PingResult extends PingPair {
  sent: number;
  received: number;
}

/** The client address of host i in VNI index k. */
export const clientIp = (i: number, k: number): string => `192.168.${k}.${i + 1}`;
/** The underlay address of host i. */
export const hostIp = (i: number): string => `172.16.1.${100 + i}`;

/** A small seeded PRNG (mulberry32): the same seed, the same plan. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws `pairs` distinct client pairs (no two in the same VNI between the same two hosts, in
 * either direction) over `hosts` hosts and `vnis` VNIs. The first is the culprit: the largest
 * pings, 20 a second.
 */
export function planTraffic(opts: { hosts: number; vnis: number; pairs: number; seed: number }): PingPair[] {
  const rnd = prng(opts.seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const seen = new Set<string>();
  const plan: PingPair[] = [];
  const max = ((opts.hosts * (opts.hosts - 1)) / 2) * opts.vnis;
  while (plan.length < Math.min(opts.pairs, max)) {
    const from = pick(opts.hosts);
    const to = pick(opts.hosts);
    const vni = pick(opts.vnis);
    const id = `${Math.min(from, to)}-${Math.max(from, to)}-${vni}`;
    if (from === to || seen.has(id)) continue;
    seen.add(id);
    const culprit = plan.length === 0;
    plan.push({
      from,
      to,
      vni,
      size: culprit ? 1400 : (PING_SIZES[pick(PING_SIZES.length)] as number),
      interval: culprit ? 0.05 : ([0.2, 0.5, 1][pick(3)] as number),
    });
  }
  return plan;
}

/** The ping command of a pair for a round of `seconds`. */
export function pingArgv(p: PingPair, seconds: number): string[] {
  const count = Math.max(1, Math.floor(seconds / p.interval));
  return [
    'ping',
    '-q',
    '-n',
    '-c',
    String(count),
    '-i',
    String(p.interval),
    '-s',
    String(p.size),
    '-W',
    '2',
    '-I',
    `c${p.vni}a`,
    clientIp(p.to, p.vni),
  ];
}

/** Runs one round: every pair pings for `seconds` at once; resolves with what each sent and got back. */
export async function runRound(
  sim: Simulation,
  plan: readonly PingPair[],
  seconds: number,
  signal?: AbortSignal,
): Promise<PingResult[]> {
  return Promise.all(
    plan.map(async (p) => {
      const r = await sim.net.exec(`host${p.from}`, pingArgv(p, seconds), {
        timeoutMs: (seconds + 10) * 1000,
        ...(signal ? { signal } : {}),
      });
      return { ...p, ...parsePingSummary(r.stdout) };
    }),
  );
}

/** Traffic going on in rounds until stopped (interactive mode). */
export interface TrafficLoop {
  /** Rounds finished. */
  readonly rounds: number;
  /** Ends the current round's pings and resolves once they exited; resume() starts again. */
  pause(): Promise<void>;
  resume(): void;
  stop(): Promise<void>;
}

/** Starts rounds of `roundSeconds` back to back. A failing round is reported, the next one runs. */
export function startTrafficLoop(
  sim: Simulation,
  plan: readonly PingPair[],
  roundSeconds: number,
  onError: (e: unknown) => void,
): TrafficLoop {
  let rounds = 0;
  let abort = new AbortController();
  let running: Promise<void> | undefined;
  let stopped = false;
  const loop = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      try {
        await runRound(sim, plan, roundSeconds, signal);
        if (!signal.aborted) rounds++;
      } catch (e) {
        if (!signal.aborted) onError(e);
      }
    }
  };
  const start = (): void => {
    abort = new AbortController();
    setMaxListeners(plan.length + 10, abort.signal); // one listener per ping of a round
    running = loop(abort.signal);
  };
  start();
  return {
    get rounds() {
      return rounds;
    },
    pause: async () => {
      abort.abort();
      await running;
    },
    resume: () => {
      if (!stopped && abort.signal.aborted) start();
    },
    stop: async () => {
      stopped = true;
      abort.abort();
      await running;
    },
  };
}
