/**
 * Actions on a cls_bpf filter (classid mode): police, mirred, gact and a SCHED_ACT program.
 * Typed specs, parsed at the edge and encoded as TCA_ACT_* nests. Whether the kernel has each
 * action is answered by the kernel itself (an unknown action kind fails the filter creation,
 * which then creates nothing) and reported as NotSupportedError naming the kernel option.
 */
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { InvalidArgumentError } from '../errors.js';
import type { FeatureName } from '../features/catalog.js';
import type { MessageBuilder } from '../netlink/message.js';
import { TC_ACT, TCA_ACT } from './constants.js';
import { rateBytes, rateTable, writeRateSpec, xmitTicks } from '../netlink/tc-ratespec.js';
import {
  checkInteger,
  parseRate,
  parseSize,
  type RateInput,
  type SizeInput,
  type TcVerdictName,
} from '../netlink/tc-units.js';

/** A tc verdict by name. */
export type Verdict = TcVerdictName;

const VERDICTS: Record<Verdict, number> = {
  ok: TC_ACT.OK,
  drop: TC_ACT.SHOT,
  pipe: TC_ACT.PIPE,
  reclassify: TC_ACT.RECLASSIFY,
  continue: TC_ACT.UNSPEC,
  stolen: TC_ACT.STOLEN,
};

/** mirred: redirect (the packet leaves this path) or mirror (a copy) to another interface. */
export interface MirredAction {
  kind: 'mirred';
  mode: 'redirect' | 'mirror';
  /** Interface in the same namespace. */
  to: string;
  /** Deliver on the target's egress (transmit, default) or ingress (receive). */
  direction?: 'egress' | 'ingress';
}

/** police: a token bucket with verdicts for conforming and exceeding packets (CONFIG_NET_ACT_POLICE). */
export interface PoliceAction {
  kind: 'police';
  rate: RateInput;
  burst: SizeInput;
  mtu?: SizeInput;
  peakrate?: RateInput;
  /** Verdict for conforming packets; default 'ok'. */
  conform?: Verdict;
  /** Verdict for exceeding packets; default 'drop'. */
  exceed?: Verdict;
}

/** gact: a fixed verdict (CONFIG_NET_ACT_GACT). */
export interface GactAction {
  kind: 'gact';
  verdict: Verdict;
}

/** bpf: a SCHED_ACT program as an action (CONFIG_NET_ACT_BPF). */
export interface BpfAction {
  kind: 'bpf';
  program: Program;
  /** Name shown by tc; default the program's name. */
  name?: string;
}

/** Any action. */
export type TcAction = MirredAction | PoliceAction | GactAction | BpfAction;

/** The feature each action kind needs. */
export const ACTION_FEATURE: Record<TcAction['kind'], FeatureName> = {
  mirred: 'act_mirred',
  police: 'act_police',
  gact: 'act_gact',
  bpf: 'act_bpf',
};

/** An action with every value parsed, ready to encode. */
export type EncodedAction = (m: MessageBuilder) => void;

const TCA_MIRRED_PARMS = 2;
const TCA_GACT_PARMS = 2;
const TCA_ACT_BPF = { PARMS: 2, FD: 5, NAME: 6 } as const;
const TCA_POLICE = { TBF: 1, RATE: 2, PEAKRATE: 3, RESULT: 5, RATE64: 8, PEAKRATE64: 9 } as const;
const MIRRED_EACTION = {
  'egress-redirect': 1,
  'egress-mirror': 2,
  'ingress-redirect': 3,
  'ingress-mirror': 4,
};

function verdict(v: Verdict | undefined, fallback: Verdict, what: string): number {
  const value = VERDICTS[v ?? fallback];
  if (value === undefined) {
    throw new InvalidArgumentError(
      `invalid ${what} verdict "${String(v)}" (use ${Object.keys(VERDICTS).join(', ')})`,
    );
  }
  return value;
}

/** struct tc_gen: index, capab, action, refcnt, bindcnt. */
function tcGen(size: number, action: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeInt32LE(action, 8);
  return b;
}

/**
 * Parses an action; `ifindexOf` resolves mirred targets in the filter's namespace.
 * @throws InvalidArgumentError for bad values or a program of the wrong type.
 */
export async function encodeAction(
  a: TcAction,
  ifindexOf: (name: string) => Promise<number>,
): Promise<EncodedAction> {
  switch (a.kind) {
    case 'mirred': {
      if (a.mode !== 'redirect' && a.mode !== 'mirror') {
        throw new InvalidArgumentError(`invalid mirred mode "${String(a.mode)}" (use redirect or mirror)`);
      }
      const dir = a.direction ?? 'egress';
      if (dir !== 'egress' && dir !== 'ingress') {
        throw new InvalidArgumentError(`invalid mirred direction "${String(dir)}" (use egress or ingress)`);
      }
      const ifindex = await ifindexOf(a.to);
      const p = tcGen(28, a.mode === 'redirect' ? TC_ACT.STOLEN : TC_ACT.PIPE);
      p.writeInt32LE(MIRRED_EACTION[`${dir}-${a.mode}`], 20);
      p.writeUInt32LE(ifindex, 24);
      return (m) => m.str(TCA_ACT.KIND, 'mirred').nest(TCA_ACT.OPTIONS, (o) => o.attr(TCA_MIRRED_PARMS, p));
    }
    case 'gact': {
      const p = tcGen(20, verdict(a.verdict, 'ok', 'gact'));
      return (m) => m.str(TCA_ACT.KIND, 'gact').nest(TCA_ACT.OPTIONS, (o) => o.attr(TCA_GACT_PARMS, p));
    }
    case 'bpf': {
      if (a.program.type !== ProgramType.SCHED_ACT) {
        throw new InvalidArgumentError(
          `program ${a.program.name} is ${a.program.typeName}; a bpf action must be loaded as SCHED_ACT`,
        );
      }
      const fd = a.program.fd;
      const name = a.name ?? a.program.name;
      return (m) =>
        m.str(TCA_ACT.KIND, 'bpf').nest(TCA_ACT.OPTIONS, (o) => {
          o.attr(TCA_ACT_BPF.PARMS, tcGen(20, TC_ACT.PIPE));
          o.u32(TCA_ACT_BPF.FD, fd);
          o.str(TCA_ACT_BPF.NAME, name);
        });
    }
    case 'police': {
      const rate = rateBytes(parseRate(a.rate, 'police rate'));
      const burst = parseSize(a.burst, 'police burst');
      const mtu =
        a.mtu === undefined ? 0 : checkInteger(parseSize(a.mtu, 'police mtu'), 'police mtu (bytes)');
      const peak = a.peakrate === undefined ? 0 : rateBytes(parseRate(a.peakrate, 'police peakrate'));
      if (peak && !mtu) throw new InvalidArgumentError('police peakrate needs an mtu');
      const exceed = verdict(a.exceed, 'drop', 'police exceed');
      const conform = verdict(a.conform, 'ok', 'police conform');
      const rtab = rateTable(rate, mtu);
      const ptab = peak ? rateTable(peak, mtu) : undefined;
      const p = Buffer.alloc(56);
      p.writeInt32LE(exceed, 4);
      p.writeUInt32LE(xmitTicks(rate, burst), 12);
      p.writeUInt32LE(mtu, 16);
      writeRateSpec(p, 20, { bytesPerSecond: rate, cellLog: rtab.cellLog });
      if (ptab) writeRateSpec(p, 32, { bytesPerSecond: peak, cellLog: ptab.cellLog });
      return (m) =>
        m.str(TCA_ACT.KIND, 'police').nest(TCA_ACT.OPTIONS, (o) => {
          o.attr(TCA_POLICE.TBF, p);
          o.attr(TCA_POLICE.RATE, rtab.table);
          if (ptab) o.attr(TCA_POLICE.PEAKRATE, ptab.table);
          if (rate >= 2 ** 32) o.u64(TCA_POLICE.RATE64, BigInt(rate));
          // As tc: the conform verdict is sent only when it is not the default (ok).
          if (conform !== TC_ACT.OK) o.u32(TCA_POLICE.RESULT, conform >>> 0);
        });
    }
    default:
      throw new InvalidArgumentError(`unknown action kind "${(a as { kind: string }).kind}"`);
  }
}
