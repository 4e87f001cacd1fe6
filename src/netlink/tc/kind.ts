/**
 * What every tc kind declares, in its own file under ./qdisc, ./class, ./filter or ./action:
 * its TCA_KIND name, the kernel feature it needs (src/features' catalog and probes learn the
 * kinds from these), how a spec given as plain data is checked (problems with paths) and parsed,
 * and how its TCA_OPTIONS are encoded and decoded. No BPF, no kernel: a program is an fd, an
 * interface an ifindex the caller resolved.
 */
import type { Payload } from '../schema.js';
import { Check, type Problem } from './check.js';

/** The four tc object families. */
export type TcObject = 'qdisc' | 'class' | 'filter' | 'action';

/** The kernel feature a kind needs, as the feature catalog lists it. */
export interface TcFeature<F extends string = string> {
  /** Short name, e.g. `act_police`, `htb`. */
  readonly name: F;
  /** What it is. */
  readonly description: string;
  /** The kernel config option that provides it. */
  readonly kernelOption: string;
  /** What tsbcc does where it is missing. */
  readonly fallback: string;
}

/** What encoding may need from the caller. */
export interface EncodeEnv {
  /** The ifindex of an interface (in the object's namespace), resolved beforehand. */
  ifindex(name: string): number;
  /** The parent the object hangs from (filters: cls_bpf defaults its classid from it). */
  parent?: number;
  /** Filters: their actions, already encoded as a TCA_ACT list (see ../filter.ts). */
  actions?: Payload;
}

/** A kind's declaration; see {@link defineKind}. */
export interface KindDecl<
  O extends TcObject,
  K extends string,
  S extends { kind: K },
  P,
  I,
  F extends string = string,
> {
  readonly object: O;
  readonly kind: K;
  readonly feature: TcFeature<F>;
  /** Reads a spec with `c` (recording problems) and returns its parsed values. */
  parse(spec: S, c: Check): P;
  /** TCA_OPTIONS (TCA_ACT_OPTIONS for actions) of a parsed spec; undefined: none. */
  options(parsed: P, env: EncodeEnv): Payload | undefined;
  /** Decodes the options of a dump reply. */
  decode(options: Buffer): I;
  /** Interfaces a spec names (they must exist where the object goes), with their field. */
  interfaces?(spec: S): { name: string; field: string }[];
  /** Qdiscs: the handle when the spec gives none (default 0: the kernel picks). */
  readonly defaultHandle?: number;
  /** Qdiscs: a hook qdisc (clsact, ingress), always handle ffff: under parent ffff:fff1. */
  readonly hook?: boolean;
  /** Actions: needs a loaded program (a plain-data description cannot hold one). */
  readonly needsProgram?: boolean;
}

/** A declared tc kind: the declaration plus validation and encoding built on it. */
export interface TcKind<
  O extends TcObject,
  K extends string,
  S extends { kind: K },
  I,
  F extends string = string,
> extends Omit<KindDecl<O, K, S, unknown, I, F>, 'parse' | 'options'> {
  /** Every problem of a spec given as plain data, with paths under `path`. */
  validate(spec: unknown, path?: string): Problem[];
  /**
   * The TCA_OPTIONS payload of a spec (undefined: the kind takes none).
   * @throws InvalidArgumentError with the first problem.
   */
  encode(spec: S, env?: EncodeEnv): Payload | undefined;
  /** Checks a spec inside a larger one (`c` collects the problems) and returns its encoder. */
  check(spec: S, c: Check): (env: EncodeEnv) => Payload | undefined;
}

const NO_ENV: EncodeEnv = {
  ifindex: (name) => {
    throw new RangeError(`interface ${name} was not resolved before encoding`);
  },
};

/** Declares a kind (each kind file's default export). */
export function defineKind<
  O extends TcObject,
  K extends string,
  S extends { kind: K },
  P,
  I,
  F extends string,
>(decl: KindDecl<O, K, S, P, I, F>): TcKind<O, K, S, I, F> {
  const check = (spec: S, c: Check): ((env: EncodeEnv) => Payload | undefined) => {
    const parsed = decl.parse(spec, c);
    return (env) => decl.options(parsed, env);
  };
  return {
    object: decl.object,
    kind: decl.kind,
    feature: decl.feature,
    decode: decl.decode,
    ...(decl.interfaces ? { interfaces: decl.interfaces } : {}),
    ...(decl.defaultHandle === undefined ? {} : { defaultHandle: decl.defaultHandle }),
    ...(decl.hook ? { hook: true } : {}),
    ...(decl.needsProgram ? { needsProgram: true } : {}),
    check,
    validate(spec, path = '') {
      const c = new Check(path, decl.kind);
      decl.parse((spec ?? {}) as S, c);
      return c.problems;
    },
    encode(spec, env = NO_ENV) {
      const c = new Check('', decl.kind);
      const enc = check(spec, c);
      c.orThrow();
      return enc(env);
    },
  };
}

/**
 * Any kind, for registries and generic code (the spec type is erased: generic callers pass the
 * spec whose `kind` chose the entry).
 */
export type AnyTcKind = TcKind<TcObject, string, never, unknown>;

/** The spec type of a kind. */
export type SpecOf<T> = T extends TcKind<TcObject, string, infer S, unknown> ? S : never;
/** The decoded options type of a kind. */
export type InfoOf<T> = T extends TcKind<TcObject, string, never, infer I> ? I : never;
