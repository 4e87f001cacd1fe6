/**
 * Per-class policing on a clsact hook: RateLimit's `police` strategy for classes (and what
 * `tsbcc ratelimit` installs with `strategy: police`).
 *
 * - The classifier (direct action, priority {@link CLASSIFY_PRIORITY}) stores the class minor in
 *   skb->cb[0] and returns TC_ACT_UNSPEC, so classification goes on to the next filters.
 * - One cls_bpf filter per class (classid mode, priority {@link CLASS_PRIORITY}, handle = the
 *   minor, classid 1:minor), all running one tiny selector program, with a police action of the
 *   class's rate. cls_bpf sets skb->tc_classid to the filter's own classid before running its
 *   program, so the same program knows which filter it runs in: it matches when cb[0] equals
 *   that minor, and the match runs the filter's police action (conform: pass, exceed: drop).
 *   A packet whose class has no filter (minor 0: not limited) matches none and passes.
 *
 * So moving an address to another class is a map update of the classifier's tables; adding a
 * class adds one filter; changing a class's rate replaces its filter (same priority and handle);
 * nothing else is touched.
 */
import { compile } from '../compiler/compile.js';
import { BpfObject } from '../core/bpf-object.js';
import type { Program } from '../core/program.js';
import type { TcDevice } from '../tc/device.js';
import type { TcFilterLink } from '../tc/filter.js';

/** Priority (tc pref) of the classifier filter in police mode. */
export const CLASSIFY_PRIORITY = 20;
/** Priority (tc pref) of the per-class police filters (after the classifier). */
export const CLASS_PRIORITY = 21;
/** Name of the per-class police filters (tc shows it as tsbcc:ratelimit-class). */
export const CLASS_FILTER_NAME = 'ratelimit-class';

const SELECT = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("classifier")
int rl_police_select(struct __sk_buff *skb) {
  __u32 minor = skb->tc_classid & 0xffff;
  return minor != 0 && skb->cb[0] == minor ? -1 : 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** A loaded selector program and its object (close the object once the filters hold it). */
export interface ClassSelector {
  object: BpfObject;
  program: Program;
}

/**
 * Compiles and loads the selector program the class filters share.
 * @throws CompileError / VerifierError when it cannot be built or loaded.
 */
export async function loadClassSelector(): Promise<ClassSelector> {
  const object = BpfObject.create(await compile(SELECT, { name: 'tsbcc_rl_select' }));
  try {
    return { object, program: object.loadFunc('rl_police_select', 'SCHED_CLS') };
  } catch (e) {
    object.close();
    throw e;
  }
}

/**
 * The police burst of a class when none is given: 50 ms at the rate, at least 96 KiB so that a
 * GSO packet of 64 KiB (counted whole by the policer) can conform.
 */
export function defaultPoliceBurst(rateBitsPerSecond: number): number {
  return Math.max(96 * 1024, Math.round(rateBitsPerSecond / 8 / 20));
}

/** One class's police filter. */
export interface ClassPoliceSpec {
  direction: 'ingress' | 'egress';
  /** Class minor (1..0xffff): the filter's handle and classid 1:minor. */
  minor: number;
  /** Bits per second. */
  rate: number;
  /** Bytes (default {@link defaultPoliceBurst}). */
  burst?: number;
  /** Leave it in the kernel when the process ends. */
  keep?: boolean;
  /** Replace the class's filter in place (same priority and handle) when it exists. */
  replace?: boolean;
}

/** Adds (or replaces) the police filter of one class; the Link removes it. */
export function attachClassPolice(
  dev: TcDevice,
  selector: Program,
  spec: ClassPoliceSpec,
): Promise<TcFilterLink> {
  return dev.attachBpf(selector, {
    parent: spec.direction,
    priority: CLASS_PRIORITY,
    handle: spec.minor,
    classid: 0x10000 | spec.minor,
    directAction: false,
    name: CLASS_FILTER_NAME,
    keep: spec.keep,
    replace: spec.replace,
    actions: [
      {
        kind: 'police',
        rate: spec.rate,
        burst: spec.burst ?? defaultPoliceBurst(spec.rate),
        conform: 'ok',
        exceed: 'drop',
      },
    ],
  });
}
