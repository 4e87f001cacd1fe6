/**
 * A testbed's teardown, written once: {@link teardownPlan} lists what to undo, in order, and
 * both Network.destroy() (asynchronous, on request) and Network.destroySync() (at exit or on a
 * signal, where nothing can be awaited) carry out that same list. They differ only in how a
 * step is done: processes get SIGTERM and a grace period, or SIGKILL; root-namespace undo steps
 * need netlink round trips, so the synchronous run skips them and leaves the state file for
 * `tsbcc topology clean`. Pure (the plan); the executors live with the Network.
 */
import { ROOT } from './plan.js';
import type { HostProcess } from './process.js';
import type { Step } from './realise.js';

/** One step of a teardown. */
export type TeardownStep =
  /** Record in the state file that the run is going away. */
  | { kind: 'mark-destroying' }
  /** End the processes started in the hosts. */
  | { kind: 'stop-processes'; processes: HostProcess[] }
  /** Detach a tc program (newest first). */
  | { kind: 'detach-program'; handle: { close(): unknown } }
  /** Undo a step outside the testbed's own namespaces (root-namespace devices). */
  | { kind: 'undo'; step: Step & { undo: () => Promise<void> } }
  /** Close the netlink sockets the run holds. */
  | { kind: 'close-handles' }
  /**
   * Delete the run's namespaces (and everything in them), listed newest first, all at once
   * (their unmounts run in parallel: see NamedNamespace.deleteMany).
   */
  | { kind: 'delete-namespaces'; steps: Step[] }
  /** Remove the state file: nothing of the run is left. */
  | { kind: 'remove-state' };

/** What a teardown works from. */
export interface TeardownInput {
  processes: Iterable<HostProcess>;
  /** Attached programs, oldest first. */
  programs: readonly { handle: { close(): unknown } }[];
  /** The realisation journal, oldest first. */
  journal: readonly Step[];
  /** Namespaces the run made, by key. */
  namespaces: ReadonlyMap<string, unknown>;
}

/**
 * The steps that undo a run, in order: mark, stop processes, detach programs (newest first),
 * undo what lies outside the run's namespaces (newest first), close sockets, delete the
 * namespaces (all at once), remove the state file.
 */
export function teardownPlan(input: TeardownInput): TeardownStep[] {
  const journal = [...input.journal].reverse();
  const outside = (s: Step): s is Step & { undo: () => Promise<void> } =>
    s.kind !== 'namespace' && s.undo !== undefined && (s.ns === ROOT || !input.namespaces.has(s.ns));
  return [
    { kind: 'mark-destroying' },
    { kind: 'stop-processes', processes: [...input.processes] },
    ...[...input.programs].reverse().map((p): TeardownStep => ({ kind: 'detach-program', handle: p.handle })),
    ...journal.filter(outside).map((step): TeardownStep => ({ kind: 'undo', step })),
    { kind: 'close-handles' },
    { kind: 'delete-namespaces', steps: journal.filter((s) => s.kind === 'namespace') },
    { kind: 'remove-state' },
  ];
}
