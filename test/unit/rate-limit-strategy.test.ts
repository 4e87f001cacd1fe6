import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotSupportedError } from '../../src/errors.js';
import type { FeatureName } from '../../src/features/catalog.js';
import { chooseStrategy, type StrategyInput } from '../../src/recipes/rate-limit-strategy.js';

/** A kernel with these features and no others. */
const kernel =
  (...present: FeatureName[]) =>
  (f: FeatureName): boolean =>
    present.includes(f);
const THIS_KERNEL = kernel('htb', 'ifb', 'act_mirred', 'clsact', 'cls_bpf'); // 6.18 here: no act_police
const DEBIAN_61 = kernel('htb', 'ifb', 'act_mirred', 'clsact', 'cls_bpf', 'act_police');
const BARE = kernel('clsact', 'cls_bpf');
const run = (i: Partial<StrategyInput>, has: (f: FeatureName) => boolean): string =>
  chooseStrategy({ direction: 'egress', strategy: 'auto', single: true, ...i }, has).strategy;

describe('rate limit strategy (pure)', () => {
  it('auto shapes with htb wherever htb is usable, police or all', () => {
    expect(run({}, THIS_KERNEL)).toBe('htb');
    expect(run({ direction: 'ingress' }, THIS_KERNEL)).toBe('ifb+htb');
    expect(run({ direction: 'ingress' }, DEBIAN_61)).toBe('ifb+htb');
    expect(run({ single: false }, DEBIAN_61)).toBe('htb');
    expect(chooseStrategy({ direction: 'egress', strategy: 'auto', single: true }, DEBIAN_61).reason).toMatch(
      /shaping holds TCP to the rate/,
    );
  });

  it('auto falls back to police where htb is unusable, then to the BPF token bucket', () => {
    expect(run({ direction: 'ingress' }, kernel('htb', 'act_police', 'cls_bpf', 'clsact'))).toBe('police');
    expect(run({}, BARE)).toBe('bpf-token-bucket');
    expect(chooseStrategy({ direction: 'ingress', strategy: 'auto', single: true }, BARE).reason).toMatch(
      /act_police is missing .* htb\/ifb\/act_mirred is not usable/,
    );
  });

  it('takes what is asked for, or says what the kernel lacks', () => {
    expect(run({ strategy: 'police' }, DEBIAN_61)).toBe('police');
    expect(run({ strategy: 'bpf' }, THIS_KERNEL)).toBe('bpf-token-bucket');
    expect(run({ strategy: 'htb', direction: 'ingress' }, THIS_KERNEL)).toBe('ifb+htb');
    const police = (): unknown => run({ strategy: 'police' }, THIS_KERNEL);
    expect(police).toThrow(NotSupportedError);
    expect(police).toThrow(/CONFIG_NET_ACT_POLICE/);
    expect(() => run({ strategy: 'htb', direction: 'ingress' }, kernel('htb', 'clsact'))).toThrow(
      /CONFIG_IFB/,
    );
    expect(() => run({ single: false }, BARE)).toThrow(/CONFIG_NET_SCH_HTB/);
  });

  it('polices classes when asked, or where htb is unusable; refuses them for the token bucket', () => {
    expect(run({ strategy: 'police', single: false }, DEBIAN_61)).toBe('police');
    expect(chooseStrategy({ direction: 'egress', strategy: 'police', single: false }, DEBIAN_61).reason).toBe(
      'police was asked for (a police action per class after the classifier)',
    );
    const noHtb = kernel('act_police', 'cls_bpf', 'clsact');
    expect(run({ single: false }, noHtb)).toBe('police');
    expect(chooseStrategy({ direction: 'ingress', strategy: 'auto', single: false }, noHtb).reason).toMatch(
      /htb\/ifb\/act_mirred is not usable here and act_police is available \(a police action per class/,
    );
    expect(() => run({ strategy: 'police', single: false }, kernel('act_police', 'cls_bpf'))).toThrow(
      /clsact/,
    );
    expect(() => run({ strategy: 'bpf', single: false }, DEBIAN_61)).toThrow(InvalidArgumentError);
    expect(() => run({ strategy: 'bpf', single: false }, DEBIAN_61)).toThrow(/token bucket takes one rate/);
  });
});
