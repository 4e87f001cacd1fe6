/**
 * Actions on a cls_bpf filter (classid mode): the tc object model's action kinds
 * (src/netlink/tc/action/*: mirred, police, gact, ...), and bpf, whose SCHED_ACT program is
 * given here as a Program and reaches the model as its fd. Whether the kernel has each action is
 * answered by the kernel itself (an unknown action kind fails the filter creation, which then
 * creates nothing) and reported as NotSupportedError naming the kernel option.
 */
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { InvalidArgumentError } from '../errors.js';
import type { GactSpec } from '../netlink/tc/action/gact.js';
import type { MirredSpec } from '../netlink/tc/action/mirred.js';
import type { PoliceSpec } from '../netlink/tc/action/police.js';
import type { ActionKindSpec } from '../netlink/tc/registry.js';
import type { TcVerdictName } from '../netlink/tc/verdict.js';

/** A tc verdict by name. */
export type Verdict = TcVerdictName;

/** mirred: redirect (the packet leaves this path) or mirror (a copy) to another interface. */
export type MirredAction = MirredSpec;
/** police: a token bucket with verdicts for conforming and exceeding packets (CONFIG_NET_ACT_POLICE). */
export type PoliceAction = PoliceSpec;
/** gact: a fixed verdict (CONFIG_NET_ACT_GACT). */
export type GactAction = GactSpec;

/** bpf: a SCHED_ACT program as an action (CONFIG_NET_ACT_BPF). */
export interface BpfAction {
  kind: 'bpf';
  program: Program;
  /** Name shown by tc; default the program's name. */
  name?: string;
}

/** Any action: the model's kinds, with a bpf action's program given as a Program. */
export type TcAction = Exclude<ActionKindSpec, { kind: 'bpf' }> | BpfAction;

/**
 * The model's spec of an action (a bpf action's program becomes its fd).
 * @throws InvalidArgumentError for a bpf action whose program is not SCHED_ACT.
 */
export function actionSpec(a: TcAction): ActionKindSpec {
  if (a.kind !== 'bpf') return a;
  const p = (a as BpfAction).program;
  if (p.type !== ProgramType.SCHED_ACT) {
    throw new InvalidArgumentError(
      `program ${p.name} is ${p.typeName}; a bpf action must be loaded as SCHED_ACT`,
    );
  }
  return { kind: 'bpf', fd: p.fd, name: a.name ?? p.name };
}
