import { describe, expect, it } from 'vitest';
import { checkPolicy, checkPolicyOnHost, PolicyError } from '../../src/index.js';
import { parsePrefix, prefixesOverlap, type PolicyPrefix } from '../../src/deploy/ratelimit-policy.js';

const good = `interfaces:
  eth0:
    egress:
      default: bulk
      classes:
        gold: { rate: 10mbit, ceil: 20mbit, addresses: [10.0.0.5, "fd00:1::/64"] }
        bulk:
          rate: 1mbit
          burst: 32kb
          addresses: [10.0.1.0/24]
`;

function problems(text: string): string[] {
  try {
    checkPolicy(text, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as PolicyError).problems.map((p) => `${p.at ?? '-'} ${p.path}: ${p.message}`);
  }
  throw new Error('the policy was accepted');
}

describe('tsbcc ratelimit policy (pure)', () => {
  it('parses IPv4/IPv6 addresses and prefixes, and tells overlaps', () => {
    const p = (t: string): PolicyPrefix => parsePrefix(t) as PolicyPrefix;
    expect(p('10.1.2.0/24')).toMatchObject({ family: 4, length: 24, bytes: Buffer.from([10, 1, 2, 0]) });
    expect(p('fd00::1')).toMatchObject({ family: 6, length: 128 });
    expect(p('fd00::1').bytes.toString('hex')).toBe('fd000000000000000000000000000001');
    expect(parsePrefix('10.1.2.3/24')).toEqual({ error: '"10.1.2.3/24": host bits set beyond /24' });
    expect(parsePrefix('10.1.2.256')).toEqual({ error: '"10.1.2.256": an IPv4 byte above 255' });
    expect(parsePrefix('1::2::3')).toEqual({ error: '"1::2::3": more than one ::' });
    expect(parsePrefix('10.0.0.0/33')).toEqual({ error: '"10.0.0.0/33": prefix length must be 0-32' });
    expect(prefixesOverlap(p('10.1.0.0/16'), p('10.1.2.3'))).toBe(true);
    expect(prefixesOverlap(p('10.1.0.0/16'), p('10.2.0.0/16'))).toBe(false);
    expect(prefixesOverlap(p('fd00::/8'), p('fd00:1::/64'))).toBe(true);
    expect(prefixesOverlap(p('0.0.0.0/0'), p('::/0'))).toBe(false);
  });

  it('accepts a good policy with defaults filled in', () => {
    const pol = checkPolicy(good, 'p.yaml');
    expect(pol.directions).toHaveLength(1);
    const d = pol.directions[0]!;
    expect(d).toMatchObject({
      interface: 'eth0',
      direction: 'egress',
      match: 'destination',
      defaultClass: 'bulk',
      strategy: 'auto',
    });
    expect(d.interfaceAt).toBe('p.yaml:2:3');
    expect(d.classes.map((c) => [c.name, c.rate, c.ceil, c.burst])).toEqual([
      ['gold', 10_000_000, 20_000_000, undefined],
      ['bulk', 1_000_000, undefined, 32_768], // tc's kb is 1024 bytes,
    ]);
    expect(d.classes[0]!.prefixes.map((p) => [p.text, p.path, p.at])).toEqual([
      ['10.0.0.5', 'interfaces.eth0.egress.classes.gold.addresses.0', 'p.yaml:6:57'],
      ['fd00:1::/64', 'interfaces.eth0.egress.classes.gold.addresses.1', 'p.yaml:6:67'],
    ]);
  });

  it('takes strategy police|shape|auto; refuses another value, and a ceil with police', () => {
    expect(
      checkPolicy(good.replace('default: bulk', 'strategy: shape'), 'p.yaml').directions[0]!.strategy,
    ).toBe('shape');
    expect(problems(good.replace('default: bulk', 'strategy: fast'))).toEqual([
      'p.yaml:4:17 interfaces.eth0.egress.strategy: "fast": use police, shape or auto',
    ]);
    expect(problems(good.replace('default: bulk', 'strategy: police'))).toEqual([
      'p.yaml:6:37 interfaces.eth0.egress.classes.gold.ceil: a policer cannot borrow up to a ceil (htb can: strategy shape)',
    ]);
    const police = checkPolicy(
      good.replace('default: bulk', 'strategy: police').replace('ceil: 20mbit, ', ''),
      'p.yaml',
    );
    expect(police.directions[0]!.strategy).toBe('police');
  });

  it('refuses bad policies with every problem, each with its YAML path and file:line:col', () => {
    expect(
      problems(`interfaces:
  eth0:
    egress:
      classes:
        a: { rate: 0, addresses: [10.0.0.0/16] }
        b: { rate: 1mbit, ceil: 500kbit, addresses: [10.0.3.4, 10.0.3.4/32] }
        c: { rate: 1mbit, colour: red }
      default: d
  "bad name with spaces":
    sideways: {}
`),
    ).toEqual([
      'p.yaml:5:20 interfaces.eth0.egress.classes.a.rate: 0: a rate of 0 would stop all traffic of the class; give a positive rate',
      'p.yaml:6:33 interfaces.eth0.egress.classes.b.ceil: 500kbit is below the rate 1mbit',
      'p.yaml:7:27 interfaces.eth0.egress.classes.c.colour: unknown key (known: rate, ceil, burst, addresses)',
      'p.yaml:6:54 interfaces.eth0.egress.classes.b.addresses.0: 10.0.3.4 overlaps 10.0.0.0/16 of class a: an address belongs to one class',
      'p.yaml:6:64 interfaces.eth0.egress.classes.b.addresses.1: 10.0.3.4/32 overlaps 10.0.0.0/16 of class a: an address belongs to one class',
      'p.yaml:6:64 interfaces.eth0.egress.classes.b.addresses.1: 10.0.3.4/32 overlaps 10.0.3.4 of the same class',
      'p.yaml:8:16 interfaces.eth0.egress.default: "d" is not one of the classes (a, b, c)',
      expect.stringMatching(/^p\.yaml:9:3 interfaces\.bad name with spaces: /),
      'p.yaml:10:15 interfaces.bad name with spaces.sideways: a direction is ingress or egress',
    ]);
    expect(problems('interfaces: [\n')[0]).toMatch(/^p\.yaml:2:1 : /);
    expect(problems('limits: {}\n')).toEqual([
      '- interfaces: a mapping of interface names to directions is required',
    ]);
  });

  it('refuses unknown interfaces and IPv6 prefixes on an interface without IPv6 (host facts given)', () => {
    const pol = checkPolicy(good, 'p.yaml');
    expect(() => checkPolicyOnHost(pol, [{ name: 'eth0', ipv6: true }], 'here')).not.toThrow();
    expect(() => checkPolicyOnHost(pol, [{ name: 'eth1', ipv6: true }], 'in ns1')).toThrow(
      'p.yaml:2:3: interfaces.eth0: no interface eth0 in ns1',
    );
    expect(() => checkPolicyOnHost(pol, [{ name: 'eth0', ipv6: false }], 'in ns1')).toThrow(
      'p.yaml:6:67: interfaces.eth0.egress.classes.gold.addresses.1: fd00:1::/64 is IPv6, but eth0 in ns1 has no IPv6 (IPv6 disabled): it would never match',
    );
  });
});
