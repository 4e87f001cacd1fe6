import { describe, expect, it } from 'vitest';
import { TopologyError } from '../../src/errors.js';
import { parseTopologyYaml, TopologyValidationError } from '../../src/topology/index.js';

function errorOf(text: string): TopologyError {
  try {
    parseTopologyYaml(text, 'bed.yaml');
  } catch (e) {
    if (e instanceof TopologyError) return e;
    throw e;
  }
  throw new Error('expected a TopologyError');
}

describe('YAML testbeds', () => {
  it('parses hosts, bridges and shorthand link ends', () => {
    const t = parseTopologyYaml(`
name: lab
hosts:
  h1:
  h2: { forwarding: true }
bridges:
  br0: {}
links:
  - { a: h1, b: "bridge:br0" }
  - a: { host: h2, ifname: up0, addresses: [10.0.0.2/24] }
    b: { bridge: br0 }
    shaping: { rate: 10mbit }
`);
    expect(t.spec.links?.[0]).toEqual({ a: { host: 'h1' }, b: { bridge: 'br0' } });
    const plan = t.plan('lab-000001');
    expect(plan.veths[1]?.a).toMatchObject({ ns: 'h2', name: 'up0' });
    expect(plan.veths[1]?.shaping).toMatchObject({ qdisc: 'tbf', rate: 10e6 });
  });

  it('names the path of a dangling end', () => {
    const e = errorOf(`
hosts: { h1: {}, h2: {} }
links:
  - { a: h1, b: h2 }
  - { a: h1, b: h2 }
  - { a: h1, b: h2 }
  - { a: h9, b: h2 }
`);
    expect(e).toBeInstanceOf(TopologyValidationError);
    expect(e.message).toBe('links[3].a: unknown host "h9"');
  });

  it('reports unknown keys and wrong shapes with paths', () => {
    const e = errorOf(`
hosts:
  h1: { fowarding: true }
links: {}
`) as TopologyValidationError;
    expect(e.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'hosts.h1.fowarding: unknown key "fowarding" (expected one of forwarding, ipv6, sysctls, routes, vxlans, ifbs)',
      'links: links must be a list',
    ]);
  });

  it('reads typed tc program options, actions included, into the plan', () => {
    const t = parseTopologyYaml(`
hosts: { r: {}, c: {} }
links:
  - { a: { host: r, addresses: [10.0.0.1/24] }, b: { host: c, addresses: [10.0.0.2/24] } }
  - { a: r, b: c }
programs:
  - host: r
    dev: eth0
    direction: egress
    file: p.c
    function: match
    mode: { classid: "1:10" }
    options:
      priority: 5
      name: copy
      actions: [{ kind: mirred, mode: mirror, to: eth1 }]
  - { host: r, dev: eth0, direction: ingress, file: p.c, function: f, options: { directAction: false } }
`);
    expect(t.plan('yaml-000001').programs.map((p) => p.filter)).toEqual([
      {
        parent: 'egress',
        directAction: false,
        classid: '1:10',
        name: 'copy',
        priority: 5,
        actions: [{ kind: 'mirred', mode: 'mirror', to: 'eth1' }],
      },
      { parent: 'ingress', directAction: false, name: 'f', actions: [] },
    ]);
  });

  it('reports unknown keys of program modes, options and actions, and bad values, with paths', () => {
    const head = `
hosts: { r: {}, c: {} }
links: [{ a: r, b: c }]
programs:
`;
    const keys = errorOf(`${head}
  - host: r
    dev: eth0
    direction: ingress
    file: p.c
    function: f
    mode: { classid: "1:1", major: 1 }
    options:
      prio: 3
      actions:
        - { kind: mirred, mode: redirect, to: eth0, dev: eth0 }
        - { kind: gact, verdict: drop, rate: 1 }
  - oops
`) as TopologyValidationError;
    expect(keys.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'programs[0].mode.major: unknown key "major" (expected one of classid)',
      'programs[0].options.prio: unknown key "prio" (expected one of parent, directAction, classid, name, priority, handle, chain, protocol, actions, replace)',
      'programs[0].options.actions[0].dev: unknown key "dev" (expected one of kind, mode, to, direction)',
      'programs[0].options.actions[1].rate: unknown key "rate" (expected one of kind, verdict)',
      'programs[1]: a program is a mapping with host, dev, ...',
    ]);
    const values = errorOf(`${head}
  - host: r
    dev: eth0
    direction: ingress
    file: p.c
    function: f
    options: { directAction: false, actions: [{ kind: mirred, mode: redirect, to: eth7 }] }
`);
    expect(values).toBeInstanceOf(TopologyValidationError);
    expect(values.message).toBe('programs[0].options.actions[0].to: no interface "eth7" in host "r"');
    expect(values.path).toBe('programs[0].options.actions[0].to');
  });

  it('reports syntax errors with file:line:col', () => {
    const e = errorOf('hosts:\n  h1: {\n  h2: [\n');
    expect(e.path).toMatch(/^bed\.yaml:\d+:\d+$/);
    expect(e.message).toContain('YAML syntax error');
  });
});
