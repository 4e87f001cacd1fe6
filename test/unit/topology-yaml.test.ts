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

  it('reports syntax errors with file:line:col', () => {
    const e = errorOf('hosts:\n  h1: {\n  h2: [\n');
    expect(e.path).toMatch(/^bed\.yaml:\d+:\d+$/);
    expect(e.message).toContain('YAML syntax error');
  });
});
