/**
 * Actions of any kind, as a filter's action list (TCA_ACT 1, 2, ...): checks, encoding and
 * decoding, each action's options from its kind file under ./action. Pure.
 */
import { decodeValueOf, encodeValueOf, type AttrIn, type Payload } from '../schema.js';
import type { Check } from './check.js';
import type { EncodeEnv } from './kind.js';
import { findKind, kindsOf, type ActionKindSpec } from './registry.js';
import { ACTION_LIST } from './tca.js';

/** An action as a filter dump reports it. */
export interface ActionInfo {
  kind: string;
  /** The kind's decoded options, when tsbcc knows the kind. */
  options?: unknown;
}

/** The interfaces a list of actions names (mirred targets), with the path of each. */
export function actionInterfaces(list: readonly unknown[], path: string): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  list.forEach((a, i) => {
    const def =
      typeof a === 'object' && a !== null
        ? findKind('action', (a as { kind?: unknown }).kind as string)
        : undefined;
    for (const x of def?.interfaces?.(a as never) ?? [])
      out.push({ name: x.name, path: `${path}[${i}].${x.field}` });
  });
  return out;
}

/**
 * Checks a list of actions at `field` of `c`; returns the encoder of the TCA_ACT list (undefined
 * when the list is empty). Kinds that need a loaded program are refused when `plainData` is set
 * (a testbed description cannot hold one), with `programHint` saying what to do instead.
 */
export function checkActions(
  list: unknown,
  c: Check,
  field = 'actions',
  plainData?: { programHint: string },
): (env: EncodeEnv) => Payload | undefined {
  if (list === undefined) return () => undefined;
  if (!Array.isArray(list)) {
    c.add(field, 'actions must be a list');
    return () => undefined;
  }
  const usable = kindsOf('action')
    .filter((k) => !(plainData && k.needsProgram))
    .map((k) => k.kind);
  const encoders = list.map((a: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) {
      c.add(at, `an action is a mapping with kind (${usable.join(', ')})`);
      return () => undefined;
    }
    const kind = (a as { kind?: unknown }).kind;
    const def = typeof kind === 'string' ? findKind('action', kind) : undefined;
    if (!def || !usable.includes(def.kind)) {
      const message =
        def && plainData
          ? plainData.programHint
          : `unknown action kind ${JSON.stringify(kind)} (use ${usable.join(', ')})`;
      c.add(`${at}.kind`, message);
      return () => undefined;
    }
    const enc = def.check(a as never, c.sub(at, def.kind));
    return (env: EncodeEnv) => ({ KIND: def.kind, OPTIONS: enc(env) });
  });
  if (encoders.length === 0) return () => undefined;
  return (env) =>
    encodeValueOf(ACTION_LIST, encoders.map((e) => e(env)) as AttrIn<typeof ACTION_LIST>, 'TCA_ACT');
}

/** Decodes a TCA_ACT list. */
export function decodeActions(buf: Buffer): ActionInfo[] {
  return decodeValueOf(ACTION_LIST, buf).map((a) => {
    const info: ActionInfo = { kind: a.KIND ?? '' };
    const def = findKind('action', info.kind);
    if (def && a.OPTIONS) info.options = def.decode(a.OPTIONS);
    return info;
  });
}

/** Any action spec (the kinds' union). */
export type { ActionKindSpec };
