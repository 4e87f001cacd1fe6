/**
 * How a rate limit is made, chosen from the options and the kernel's features: pure (the
 * features are passed in), so every branch is unit tested. See rate-limit.ts for what each
 * strategy builds.
 */
import { InvalidArgumentError, type NotSupportedError } from '../errors.js';
import type { FeatureName } from '../features/catalog.js';
import { notSupported } from '../tc/not-supported.js';

/** The mechanism a RateLimit uses. */
export type RateLimitStrategy = 'police' | 'htb' | 'ifb+htb' | 'bpf-token-bucket';

/** What the choice depends on. */
export interface StrategyInput {
  direction: 'ingress' | 'egress';
  /** Asked for; 'auto' by default. */
  strategy: 'auto' | 'police' | 'htb' | 'bpf';
  /** One rate for all traffic (false: per-class limits chosen by a classifier). */
  single: boolean;
}

/** The choice, and why, in words. */
export interface StrategyChoice {
  strategy: RateLimitStrategy;
  reason: string;
}

/**
 * Chooses the mechanism. `auto` prefers shaping (htb, ifb+htb on ingress) wherever it is usable:
 * a policer drops what exceeds its bucket, and TCP through it settles far below the rate
 * (measured on Debian's 6.1 kernel with act_police: 1.2-1.6 of 20 Mbit/s egress, 9.9 of 16
 * ingress, the same with iproute2's own `action police`), while htb holds 19.1 of 20. Police is
 * used when asked for, or when htb is not usable and one rate covers all traffic; the BPF token
 * bucket when asked for, or when neither is usable (one rate). Per-class limits can be policed
 * too (class-police.ts: one police filter per class after the classifier): when asked for, or
 * when htb is not usable and act_police is there.
 * @throws InvalidArgumentError when the strategy cannot take the options (classes with the
 *   BPF token bucket).
 * @throws NotSupportedError naming what the kernel lacks for the strategy.
 */
export function chooseStrategy(input: StrategyInput, has: (f: FeatureName) => boolean): StrategyChoice {
  const { direction, strategy, single } = input;
  const missing = (f: FeatureName): NotSupportedError => notSupported(f);
  const htbUsable =
    has('htb') && (direction === 'egress' || (has('ifb') && has('act_mirred') && has('clsact')));

  if (strategy === 'police' || (strategy === 'auto' && !htbUsable && has('act_police'))) {
    if (!has('act_police')) throw missing('act_police');
    if (!has('cls_bpf')) throw missing('cls_bpf');
    if (!has('clsact')) throw missing('clsact');
    const what = single ? 'one rate covers all traffic' : 'a police action per class after the classifier';
    return {
      strategy: 'police',
      reason:
        strategy === 'police'
          ? `police was asked for (${what})`
          : `htb${direction === 'ingress' ? '/ifb/act_mirred' : ''} is not usable here and act_police is available (${what})`,
    };
  }

  if (strategy === 'bpf' || (strategy === 'auto' && !htbUsable && single)) {
    if (!single)
      throw new InvalidArgumentError('rate limit: the BPF token bucket takes one rate, not classes');
    if (!has('cls_bpf')) throw missing('cls_bpf');
    return {
      strategy: 'bpf-token-bucket',
      reason:
        strategy === 'bpf'
          ? 'the BPF token bucket was asked for'
          : `act_police is missing (CONFIG_NET_ACT_POLICE) and htb${direction === 'ingress' ? '/ifb/act_mirred' : ''} is not usable: a token bucket in a BPF map drops what exceeds the rate`,
    };
  }

  if (!has('htb')) throw missing('htb');
  const chosen: RateLimitStrategy = direction === 'egress' ? 'htb' : 'ifb+htb';
  if (chosen === 'ifb+htb') {
    for (const need of ['ifb', 'act_mirred', 'clsact'] as const) if (!has(need)) throw missing(need);
  }
  const why =
    strategy === 'htb'
      ? 'htb was asked for'
      : !single
        ? 'per-class limits need htb classes chosen by the classifier'
        : !has('act_police')
          ? 'act_police is missing (CONFIG_NET_ACT_POLICE)'
          : 'shaping holds TCP to the rate where a policer would drop it far below';
  return {
    strategy: chosen,
    reason:
      chosen === 'htb'
        ? `${why}: egress shaped by htb classes on the interface`
        : `${why}: ingress redirected to an ifb device and shaped by its htb classes`,
  };
}
