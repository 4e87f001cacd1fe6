/**
 * Property-based and fuzz tests of the YAML testbed parser and the topology validator: random
 * text, mutated testbeds, near-valid documents with wrong values in every field, alias bombs,
 * deep nesting and large files. Every input gives a Topology or a TopologyError (with a path),
 * and every valid testbed plans to unique, kernel-legal names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TopologyError } from '../../src/errors.js';
import { parseTopologyYaml, Topology, TopologyValidationError } from '../../src/topology/index.js';
import { fuzzParams, typedOrResult } from './helpers/fuzz.js';

const SAMPLE = `
name: lab
hosts:
  h1: { forwarding: true, sysctls: { net.ipv4.ip_forward: 1 } }
  h2:
    routes: [{ dst: default, via: 10.0.0.1 }]
    vxlans: [{ name: vx0, vni: 42, remote: 10.0.0.1, addresses: [10.9.0.2/24] }]
  r1: { ifbs: [ifb0] }
bridges:
  br0: { addresses: [10.0.0.254/24], stp: false }
links:
  - { a: "h1:eth0", b: "bridge:br0" }
  - a: { host: h2, ifname: up0, addresses: [10.0.0.2/24], mac: "02:00:00:00:00:02", mtu: 1400 }
    b: { bridge: br0 }
    shaping: { rate: 10mbit, burst: 32kb, delay: 5ms, loss: 1% }
  - { a: r1, b: h1, mtu: 9000 }
`;

/** Checks the contract and returns the outcome. */
function parse(text: string): ReturnType<typeof typedOrResult<Topology>> {
  const r = typedOrResult(() => parseTopologyYaml(text, 'fuzz.yaml'), 3_000);
  if (!r.ok) {
    expect(r.error).toBeInstanceOf(TopologyError);
    expect(r.error.message.length).toBeGreaterThan(0);
    if (r.error instanceof TopologyValidationError) {
      expect(r.error.problems.length).toBeGreaterThan(0);
      for (const p of r.error.problems) expect(typeof p.path).toBe('string');
    }
  }
  return r;
}

/** A value that is usually of the right kind for a field, sometimes anything at all. */
const field = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) });

const hostName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('h1', 'h2', 'h3', 'r1') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const cidr = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(32)).map(([a, b, p]) => `10.${a}.${b}.1/${p}`),
  fc.constantFrom('fd00::1/64', '10.0.0.1', '300.1.1.1/24', '10.0.0.1/33', '::/0', ''),
);
const linkEnd = fc.oneof(
  hostName,
  fc.tuple(hostName, fc.stringMatching(/^[a-z0-9]{1,17}$/)).map(([h, i]) => `${h}:${i}`),
  fc.constant('bridge:br0'),
  fc.record(
    {
      host: field(hostName),
      bridge: field(fc.constant('br0')),
      ifname: field(fc.stringMatching(/^[a-z0-9@/ ]{0,18}$/)),
      addresses: field(fc.array(cidr, { maxLength: 2 })),
      mac: field(fc.constantFrom('02:00:00:00:00:01', '01:00:00:00:00:01', 'zz', '02:00')),
      mtu: field(fc.integer({ min: -1, max: 70000 })),
    },
    { requiredKeys: [] },
  ),
);
const shaping = fc.record(
  {
    rate: field(fc.constantFrom('10mbit', '55kbit', '1bit', '0', 'fast', 1e6)),
    qdisc: field(fc.constantFrom('tbf', 'htb', 'netem', 'x')),
    burst: field(fc.constantFrom('32kb', '1', '0', '1gb')),
    delay: field(fc.constantFrom('5ms', '1s', '-1ms', 'soon')),
    loss: field(fc.constantFrom('1%', '100%', '101%', '0.5%', 'x')),
  },
  { requiredKeys: [] },
);
const host = fc.record(
  {
    forwarding: field(fc.boolean()),
    ipv6: field(fc.boolean()),
    sysctls: field(fc.dictionary(fc.constantFrom('net.ipv4.ip_forward', 'x', '../../etc'), fc.nat(2))),
    routes: field(
      fc.array(fc.record({ dst: field(fc.constantFrom('default', '10.1.0.0/16', 'x')), via: field(cidr) }), {
        maxLength: 2,
      }),
    ),
    vxlans: field(
      fc.array(
        fc.record(
          {
            name: field(fc.constantFrom('vx0', 'vx1')),
            vni: field(fc.integer({ min: -1, max: 1 << 25 })),
            remote: field(cidr),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    ifbs: field(fc.array(fc.constantFrom('ifb0', 'ifb1', ''), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);
const doc = fc.record(
  {
    name: field(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)),
    hosts: field(fc.dictionary(hostName, fc.option(host, { nil: null }), { maxKeys: 4 })),
    bridges: field(
      fc.dictionary(fc.constantFrom('br0', 'br1'), fc.record({ stp: field(fc.boolean()) }), { maxKeys: 2 }),
    ),
    links: field(
      fc.array(
        fc.record(
          { a: field(linkEnd), b: field(linkEnd), mtu: field(fc.nat(9000)), shaping: field(shaping) },
          {
            requiredKeys: ['a', 'b'],
          },
        ),
        { maxLength: 5 },
      ),
    ),
    programs: field(
      fc.array(
        fc.record({
          host: field(hostName),
          dev: field(fc.constantFrom('eth0', 'up0')),
          direction: field(fc.constantFrom('ingress', 'egress', 'sideways')),
          file: field(fc.constant('prog.c')),
          function: field(fc.constant('f')),
          options: field(
            fc.record(
              {
                priority: field(fc.integer({ min: -1, max: 70000 })),
                classid: field(fc.constantFrom('1:10', 'x', 5)),
                actions: field(
                  fc.array(fc.record({ kind: fc.constantFrom('gact', 'police', 'mirred', 'x') }), {
                    maxLength: 2,
                  }),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        }),
        { maxLength: 2 },
      ),
    ),
  },
  { requiredKeys: ['hosts'] },
);

describe('YAML testbeds under random and hostile input', () => {
  it('random text: a Topology or a TopologyError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (text) => {
          parse(text);
        },
      ),
      fuzzParams(800),
    );
  });

  it('a valid testbed with characters changed, inserted or cut: a Topology or a TopologyError', () => {
    expect(parse(SAMPLE).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(SAMPLE.length), fc.nat(3), fc.string({ minLength: 1, maxLength: 3 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          let t = SAMPLE;
          for (const [at, op, s] of edits) {
            const i = at % (t.length + 1);
            t =
              op === 0
                ? t.slice(0, i)
                : op === 1
                  ? t.slice(0, i) + s + t.slice(i + 1)
                  : t.slice(0, i) + s + t.slice(i);
          }
          parse(t);
        },
      ),
      fuzzParams(500),
    );
  });

  it('near-valid documents with wrong values anywhere: a Topology that plans, or problems with paths', () => {
    fc.assert(
      fc.property(doc, (d) => {
        const r = parse(stringify(d));
        if (r.ok) {
          const plan = r.value.plan('fz-000001');
          const names = plan.namespaces.map((n) => n.name);
          expect(new Set(names).size).toBe(names.length);
          for (const v of plan.veths) {
            for (const e of [v.a, v.b]) expect(Buffer.byteLength(e.name)).toBeLessThanOrEqual(15);
          }
        }
      }),
      fuzzParams(400),
    );
  });

  it('alias bombs, deep nesting, huge scalars and large files: a TopologyError or a Topology, quickly', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
      'hosts: *m',
    ].join('\n');
    expect(parse(bomb).ok).toBe(false);
    expect(parse(`hosts: ${'['.repeat(5000)}${']'.repeat(5000)}`).ok).toBe(false);
    expect(parse(`hosts: ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}`).ok).toBe(false);
    expect(parse(`name: ${'x'.repeat(1 << 20)}\nhosts: {}`).ok).toBe(false);
    const many = `hosts:\n${Array.from({ length: 2000 }, (_, i) => `  h${i}: {}`).join('\n')}\nlinks:\n${Array.from(
      { length: 1999 },
      (_, i) => `  - { a: h${i}, b: h${i + 1} }`,
    ).join('\n')}\n`;
    const big = parse(many);
    expect(big.ok).toBe(true);
  });
});
