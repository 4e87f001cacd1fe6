/** What the per-kind tests share: a kind's payload as hex, and a kind found by family and name. */
import type { EncodeEnv, TcObject } from '../../../src/netlink/tc/kind.js';
import {
  findKind,
  type ActionKindSpec,
  type ClassKindSpec,
  type FilterKindSpec,
  type QdiscKindSpec,
} from '../../../src/netlink/tc/registry.js';

/** The spec union of each family, so a test's spec is checked against its kind's type. */
interface SpecOfFamily {
  qdisc: QdiscKindSpec;
  class: ClassKindSpec;
  filter: FilterKindSpec;
  action: ActionKindSpec;
}

/** The kind, or a failure naming it. */
export function kind(object: TcObject, name: string): NonNullable<ReturnType<typeof findKind>> {
  const k = findKind(object, name);
  if (!k) throw new Error(`no ${object} kind ${name} in the registry`);
  return k;
}

/** The kind's TCA_OPTIONS for a spec, as hex ('' when it takes none), and whether it is a nest. */
export function encoded<O extends TcObject>(
  object: O,
  spec: SpecOfFamily[O],
  env?: EncodeEnv,
): { hex: string; nested?: boolean } {
  const p = kind(object, spec.kind).encode(spec as never, env);
  return p ? { hex: p.bytes.toString('hex'), nested: p.nested } : { hex: '' };
}

/** Decodes hex options with the kind. */
export function decoded(object: TcObject, name: string, hex: string): unknown {
  return kind(object, name).decode(Buffer.from(hex, 'hex'));
}
