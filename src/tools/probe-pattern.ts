/**
 * The event patterns of funccount, stackcount, funclatency and stacksnoop, as BCC spells them:
 * `func` or `p::func` (kernel function, kprobe), `lib:func` or `p:lib:func` (user function,
 * uprobe), `t:category:event` (tracepoint), `u:lib:probe` (USDT); `*` wildcards unless -r gives
 * a regular expression. Resolved to the concrete places to attach, in BCC's order.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import { listTracepoints, resolveBinary } from '../tracing/attach.js';
import { getUserFunctions } from '../tracing/attach-regex.js';
import { getKprobeFunctions } from '../tracing/kprobe-functions.js';
import { listUsdtProbes } from '../tracing/usdt.js';

/** A parsed pattern. */
export interface ProbePattern {
  /** p: function (kernel when `library` is empty), t: tracepoint, u: USDT probe. */
  type: 'p' | 't' | 'u';
  /** The binary or library path for user probes; '' for the kernel. */
  library: string;
  /** What names must match, anchored. */
  re: RegExp;
  /** The pattern as given. */
  text: string;
}

/** One place to attach, and the name BCC prints for it. */
export interface ProbeTarget {
  name: string;
  /** Uprobe file offset (user functions). */
  address?: bigint;
}

/**
 * Parses a pattern as funccount and stackcount do.
 * @throws InvalidArgumentError for a bad type or too many `:` parts, or an unknown library.
 */
export function parseProbePattern(pattern: string, regexp: boolean): ProbePattern {
  let parts = pattern.split(':');
  if (parts.length === 1) parts = ['p', '', pattern];
  else if (parts.length === 2) parts = ['p', parts[0] ?? '', parts[1] ?? ''];
  else if (parts.length === 3) {
    if (parts[0] === 't') parts = ['t', '', `${parts[1]}:${parts[2]}`];
    if (!['p', 't', 'u'].includes(parts[0] ?? ''))
      throw new InvalidArgumentError(`Type must be 'p', 't', or 'u', but got ${parts[0]}`);
  } else throw new InvalidArgumentError(`Too many ':'-separated components in pattern ${pattern}`);
  const [type, lib, what] = parts as ['p' | 't' | 'u', string, string];
  let library = '';
  if ((type === 'p' && lib) || type === 'u') {
    try {
      library = resolveBinary(lib);
    } catch {
      throw new InvalidArgumentError(`unable to find library ${lib}`);
    }
  }
  return { type, library, re: patternRegExp(what, regexp), text: pattern };
}

/**
 * `*` wildcards matching whole names, or a regular expression with `regexp`. As in BCC only
 * `*` is rewritten: other characters keep their regular-expression meaning.
 */
export function patternRegExp(what: string, regexp: boolean): RegExp {
  const source = regexp ? what : `^${what.replace(/\*/g, '.*')}$`;
  try {
    return new RegExp(source);
  } catch (e) {
    throw new InvalidArgumentError(`bad regular expression "${what}": ${(e as Error).message}`);
  }
}

/** Whether the pattern names kernel functions (kprobes). */
export function isKernelFunction(p: ProbePattern): boolean {
  return p.type === 'p' && p.library === '';
}

/**
 * The places a pattern names on this system: kprobe-able kernel functions, functions of the
 * binary (one per address, one per name), tracepoints, or USDT probes of the binary.
 * @throws NotSupportedError for kernel functions on a kernel without kprobes (`tool` names
 *   the tool in the message).
 */
export function resolveTargets(p: ProbePattern, tool: string, kprobes: boolean): ProbeTarget[] {
  switch (p.type) {
    case 't':
      return listTracepoints(p.re).map((name) => ({ name }));
    case 'u':
      return listUsdtProbes({ path: p.library })
        .filter((u) => p.re.test(u.name))
        .map((u) => ({ name: u.name }));
    case 'p':
      if (p.library) {
        const seenNames = new Set<string>();
        return getUserFunctions(p.library, p.re)
          .filter((f) => p.re.test(f.name) && !seenNames.has(f.name) && seenNames.add(f.name))
          .map((f) => ({ name: f.name, address: f.address }));
      }
      if (!kprobes)
        throw new NotSupportedError(
          `${tool} of kernel functions (kprobes)`,
          'CONFIG_KPROBE_EVENTS',
          `tracepoints (t:category:event) and user functions (lib:func) work here`,
        );
      return getKprobeFunctions(p.re).map((name) => ({ name }));
  }
}
