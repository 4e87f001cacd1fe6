/**
 * The tc kinds by family and name, from the generated list of kind files
 * (kinds.generated.ts, written by scripts/gen-tc-kinds.mjs): lookups, the union of each
 * family's specs, and the features they need (src/features' catalog and probes read these).
 */
import type { AnyTcKind, SpecOf, TcFeature, TcObject } from './kind.js';
import { ACTION_KINDS, CLASS_KINDS, FILTER_KINDS, QDISC_KINDS } from './kinds.generated.js';

/** A qdisc spec of any kind (`{ kind: 'tbf', rate, burst }`, ...). */
export type QdiscKindSpec = SpecOf<(typeof QDISC_KINDS)[number]>;
/** A class spec of any kind. */
export type ClassKindSpec = SpecOf<(typeof CLASS_KINDS)[number]>;
/** A filter spec of any kind. */
export type FilterKindSpec = SpecOf<(typeof FILTER_KINDS)[number]>;
/** An action spec of any kind. */
export type ActionKindSpec = SpecOf<(typeof ACTION_KINDS)[number]>;

/** The feature name of any tc kind. */
export type TcFeatureName = (
  typeof QDISC_KINDS | typeof CLASS_KINDS | typeof FILTER_KINDS | typeof ACTION_KINDS
)[number]['feature']['name'];

const FAMILIES: Record<TcObject, readonly AnyTcKind[]> = {
  qdisc: QDISC_KINDS,
  class: CLASS_KINDS,
  filter: FILTER_KINDS,
  action: ACTION_KINDS,
};

/** Every kind of a family. */
export function kindsOf(object: TcObject): readonly AnyTcKind[] {
  return FAMILIES[object];
}

/** A kind by family and TCA_KIND name, or undefined. */
export function findKind(object: TcObject, kind: string): AnyTcKind | undefined {
  return FAMILIES[object].find((k) => k.kind === kind);
}

/** The problem text for a kind that is not declared ("unknown qdisc kind "x" (use ...)"). */
export function unknownKind(object: TcObject, kind: unknown): string {
  const known = FAMILIES[object].map((k) => k.kind);
  return `unknown ${object} kind ${JSON.stringify(kind)} (use ${known.join(', ')})`;
}

/** Every feature the tc kinds need, once each, in family order (qdisc, class, filter, action). */
export function tcFeatures(): TcFeature[] {
  const seen = new Map<string, TcFeature>();
  for (const family of Object.values(FAMILIES)) {
    for (const k of family) if (!seen.has(k.feature.name)) seen.set(k.feature.name, k.feature);
  }
  return [...seen.values()];
}
