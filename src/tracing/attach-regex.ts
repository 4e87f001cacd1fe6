/**
 * Attaching one program to every function a regular expression names: kernel functions for
 * kprobes (BCC's `event_re`), symbols of a binary for uprobes (BCC's `sym_re`).
 */
import { InvalidArgumentError, NotSupportedError, TsbccError } from '../errors.js';
import type { Program } from '../core/program.js';
import { attachKprobe, attachUprobe, kprobesAvailable, resolveBinary, type UprobeOptions } from './attach.js';
import { elfFunctions } from './elf-symbols.js';
import type { FdLink } from './fd-link.js';
import { getKprobeFunctions } from './kprobe-functions.js';
import { checkProbeQuota } from './probe-quota.js';

/** Options of a kprobe attach by regular expression. */
export interface KprobeRegexOptions {
  /** Kernel functions whose whole name matches (BCC's event_re, compared with re.fullmatch). */
  eventRe: RegExp | string;
  retprobe?: boolean;
  /** kretprobe instances (see KprobeOptions.maxactive). */
  maxactive?: number;
}

/**
 * Attaches `prog` to every kprobe-able function matching `eventRe` (BCC's attach_kprobe /
 * attach_kretprobe with event_re). Functions that refuse are skipped, as BCC does; it throws
 * only when every one refused.
 * @throws NotSupportedError without kprobes; InvalidArgumentError when no function matches;
 *   TsbccError naming the functions when none could be attached.
 */
export function attachKprobes(prog: Program, opts: KprobeRegexOptions): FdLink[] {
  const kind = opts.retprobe ? 'kretprobe' : 'kprobe';
  if (!kprobesAvailable())
    throw new NotSupportedError(kind, 'CONFIG_KPROBE_EVENTS', 'attach to the matching tracepoint instead');
  const fns = getKprobeFunctions(opts.eventRe);
  if (fns.length === 0)
    throw new InvalidArgumentError(
      `no kprobe-able kernel function matches ${String(opts.eventRe)} (available_filter_functions minus the kprobe blacklist)`,
    );
  checkProbeQuota(fns.length, `${kind} ${String(opts.eventRe)} (${fns.length} functions)`);
  const links: FdLink[] = [];
  const failed: string[] = [];
  let last: unknown;
  for (const event of fns) {
    try {
      links.push(
        attachKprobe(prog, {
          event,
          retprobe: opts.retprobe ?? false,
          ...(opts.maxactive ? { maxactive: opts.maxactive } : {}),
        }),
      );
    } catch (e) {
      failed.push(event);
      last = e;
    }
  }
  if (links.length === 0)
    throw new TsbccError(
      `cannot attach ${prog.name} to ${kind} ${failed.join('/')}: not traceable (missing, inlined or notrace)`,
      'ENOENT',
      { cause: last },
    );
  return links;
}

/** A function of a binary: its name and the file offset a uprobe goes at. */
export interface UserFunction {
  name: string;
  /** File offset. */
  address: bigint;
}

/**
 * The functions of binary or library `name` whose name matches `re` from its start (BCC's
 * get_user_functions_and_addresses, re.match), one per address (aliases share one).
 * @throws InvalidArgumentError for an unknown binary.
 */
export function getUserFunctions(name: string, re: RegExp | string): UserFunction[] {
  const m =
    typeof re === 'string'
      ? new RegExp(`^(?:${re})`)
      : new RegExp(`^(?:${re.source})`, re.flags.replace(/[gy]/g, ''));
  const seen = new Set<bigint>();
  const out: UserFunction[] = [];
  for (const f of elfFunctions(resolveBinary(name))) {
    if (!m.test(f.name) || seen.has(f.offset)) continue;
    seen.add(f.offset);
    out.push({ name: f.name, address: f.offset });
  }
  return out;
}

/**
 * Attaches `prog` as a uprobe (or uretprobe) at every function of `opts.name` matching `symRe`
 * (BCC's attach_uprobe with sym_re). On failure the links made so far are closed.
 * @throws InvalidArgumentError when nothing matches; as attachUprobe otherwise.
 */
export function attachUprobes(
  prog: Program,
  opts: Omit<UprobeOptions, 'sym' | 'address' | 'symOffset' | 'refCtrOffset'> & { symRe: RegExp | string },
): FdLink[] {
  const fns = getUserFunctions(opts.name, opts.symRe);
  if (fns.length === 0)
    throw new InvalidArgumentError(
      `no function of ${resolveBinary(opts.name)} matches ${String(opts.symRe)}`,
    );
  checkProbeQuota(
    fns.length,
    `${opts.retprobe ? 'uretprobe' : 'uprobe'} ${resolveBinary(opts.name)}:${String(opts.symRe)} (${fns.length} functions)`,
  );
  const links: FdLink[] = [];
  try {
    for (const f of fns)
      links.push(
        attachUprobe(prog, {
          name: opts.name,
          address: f.address,
          ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
          ...(opts.retprobe ? { retprobe: true } : {}),
        }),
      );
  } catch (e) {
    for (const l of links) l.closeSync();
    throw e;
  }
  return links;
}
