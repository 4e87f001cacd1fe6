/**
 * YAML testbeds: parse a file or text into a {@link TopologySpec}, check its shape, and report
 * problems with paths (`links[3].a: unknown host "h9"`) and, for syntax errors, file:line:col.
 */
import { readFileSync } from 'node:fs';
import { TopologyError } from '../errors.js';
import { resolveTopology, TopologyValidationError, type Problem } from './resolve.js';
import type { LinkEnd, LinkSpec, TopologySpec } from './spec.js';
import { yaml } from '../util/yaml.js';
import { Topology } from './topology.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const KNOWN: Record<string, string[]> = {
  top: ['name', 'hosts', 'bridges', 'links', 'programs'],
  host: ['forwarding', 'ipv6', 'sysctls', 'routes', 'vxlans', 'ifbs'],
  bridge: ['host', 'root', 'stp', 'addresses', 'mac', 'mtu'],
  link: ['a', 'b', 'mtu', 'shaping'],
  end: ['host', 'bridge', 'ifname', 'addresses', 'mac', 'mtu'],
  shaping: ['rate', 'qdisc', 'burst', 'delay', 'loss'],
  vxlan: [
    'name',
    'vni',
    'remote',
    'group',
    'local',
    'device',
    'port',
    'learning',
    'external',
    'addresses',
    'mac',
    'mtu',
    'master',
  ],
  route: ['dst', 'via', 'dev', 'metric'],
  program: ['host', 'dev', 'direction', 'file', 'function', 'mode', 'options'],
  mode: ['classid'],
  programOptions: [
    'parent',
    'directAction',
    'classid',
    'name',
    'priority',
    'handle',
    'chain',
    'protocol',
    'actions',
    'replace',
  ],
  'action:mirred': ['kind', 'mode', 'to', 'direction'],
  'action:police': ['kind', 'rate', 'burst', 'mtu', 'peakrate', 'conform', 'exceed'],
  'action:gact': ['kind', 'verdict'],
};

function unknownKeys(o: Obj, kind: string, path: string, out: Problem[]): void {
  for (const k of Object.keys(o)) {
    if (!KNOWN[kind]?.includes(k)) {
      out.push({
        path: path ? `${path}.${k}` : k,
        message: `unknown key "${k}" (expected one of ${KNOWN[kind]?.join(', ')})`,
      });
    }
  }
}

/** Normalises a link end written as `h1`, `h1:eth0`, `bridge:br0`... into an object. */
function end(v: unknown, path: string, out: Problem[]): LinkEnd | undefined {
  if (typeof v === 'string') {
    const [a = '', b] = v.split(':', 2);
    if (a === 'bridge' && b) return { bridge: b };
    return b === undefined ? { host: a } : { host: a, ifname: b };
  }
  if (!isObj(v)) {
    out.push({ path, message: 'a link end is "host", "host:ifname" or a mapping with host or bridge' });
    return undefined;
  }
  unknownKeys(v, 'end', path, out);
  return v as LinkEnd;
}

/** Checks the shape of parsed YAML and returns the spec plus shape problems. */
export function specFromObject(doc: unknown): { spec: TopologySpec; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isObj(doc))
    return { spec: { hosts: {} }, problems: [{ path: '', message: 'a testbed is a mapping' }] };
  unknownKeys(doc, 'top', '', problems);
  const spec = { ...doc } as unknown as TopologySpec;
  if (!isObj(doc.hosts)) {
    problems.push({ path: 'hosts', message: 'hosts must be a mapping of host name to settings' });
    spec.hosts = {};
  } else {
    const hosts: Obj = {};
    for (const [h, v] of Object.entries(doc.hosts)) {
      const hv = v ?? {};
      if (!isObj(hv)) problems.push({ path: `hosts.${h}`, message: 'a host is a mapping (or empty)' });
      else {
        unknownKeys(hv, 'host', `hosts.${h}`, problems);
        for (const [list, kind] of [
          ['routes', 'route'],
          ['vxlans', 'vxlan'],
        ] as const) {
          const arr = hv[list];
          if (arr === undefined) continue;
          if (!Array.isArray(arr))
            problems.push({ path: `hosts.${h}.${list}`, message: `${list} must be a list` });
          else
            arr.forEach((x, i) =>
              isObj(x)
                ? unknownKeys(x, kind, `hosts.${h}.${list}[${i}]`, problems)
                : problems.push({ path: `hosts.${h}.${list}[${i}]`, message: `a ${kind} is a mapping` }),
            );
        }
        if (hv.sysctls !== undefined && !isObj(hv.sysctls))
          problems.push({
            path: `hosts.${h}.sysctls`,
            message: 'sysctls must be a mapping of name to value',
          });
        if (
          hv.ifbs !== undefined &&
          (!Array.isArray(hv.ifbs) || hv.ifbs.some((x: unknown) => typeof x !== 'string'))
        )
          problems.push({ path: `hosts.${h}.ifbs`, message: 'ifbs must be a list of device names' });
      }
      hosts[h] = isObj(hv) ? hv : {};
    }
    spec.hosts = hosts as TopologySpec['hosts'];
  }
  if (doc.bridges !== undefined) {
    if (!isObj(doc.bridges)) problems.push({ path: 'bridges', message: 'bridges must be a mapping' });
    else {
      const bridges: Obj = {};
      for (const [b, v] of Object.entries(doc.bridges)) {
        const bv = v ?? {};
        if (isObj(bv)) unknownKeys(bv, 'bridge', `bridges.${b}`, problems);
        bridges[b] = isObj(bv) ? bv : {};
      }
      spec.bridges = bridges as TopologySpec['bridges'];
    }
  }
  if (doc.links !== undefined) {
    if (!Array.isArray(doc.links)) {
      problems.push({ path: 'links', message: 'links must be a list' });
      delete spec.links;
    } else {
      spec.links = [];
      doc.links.forEach((l: unknown, i) => {
        const path = `links[${i}]`;
        if (!isObj(l)) return problems.push({ path, message: 'a link is a mapping with a and b' });
        unknownKeys(l, 'link', path, problems);
        if (isObj(l.shaping)) unknownKeys(l.shaping, 'shaping', `${path}.shaping`, problems);
        const a = end(l.a, `${path}.a`, problems);
        const b = end(l.b, `${path}.b`, problems);
        if (a && b) spec.links?.push({ ...(l as object), a, b } as LinkSpec);
        return 0;
      });
    }
  }
  if (doc.programs !== undefined) {
    if (!Array.isArray(doc.programs)) problems.push({ path: 'programs', message: 'programs must be a list' });
    else
      doc.programs.forEach((p: unknown, i) => {
        const path = `programs[${i}]`;
        if (!isObj(p)) return problems.push({ path, message: 'a program is a mapping with host, dev, ...' });
        unknownKeys(p, 'program', path, problems);
        if (isObj(p.mode)) unknownKeys(p.mode, 'mode', `${path}.mode`, problems);
        if (!isObj(p.options)) return 0; // resolve reports a wrong shape
        unknownKeys(p.options, 'programOptions', `${path}.options`, problems);
        const actions = p.options.actions;
        if (Array.isArray(actions)) {
          actions.forEach((a: unknown, j) => {
            // an unknown kind is reported by resolve; known kinds get their keys checked
            if (isObj(a) && KNOWN[`action:${String(a.kind)}`])
              unknownKeys(a, `action:${String(a.kind)}`, `${path}.options.actions[${j}]`, problems);
          });
        }
        return 0;
      });
  }
  return { spec, problems };
}

/**
 * Parses YAML text into a validated Topology.
 * @param source a file name used in syntax-error locations.
 * @throws TopologyError for syntax errors (`file:line:col`), TopologyValidationError for
 *   problems (every one, with its path).
 */
export function parseTopologyYaml(text: string, source = '<yaml>'): Topology {
  const doc = yaml().parseDocument(text);
  const [err] = doc.errors;
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    throw new TopologyError(
      `YAML syntax error: ${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      where,
    );
  }
  let value: unknown;
  try {
    // an alias without its anchor, or aliases expanding past the library's limit (an alias
    // bomb), are found only while building the value
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new TopologyError(`YAML: ${(e as Error).message}`, source);
  }
  const { spec, problems } = specFromObject(value);
  const all = [...problems, ...(problems.length ? [] : resolveTopology(spec, 'x').problems)];
  if (all.length > 0) throw new TopologyValidationError(all);
  return Topology.fromSpec(spec);
}

/** Reads and parses a YAML testbed file (see {@link parseTopologyYaml}). */
export function loadTopologyFile(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TopologyError(`cannot read testbed: ${(e as Error).message}`, file);
  }
  return parseTopologyYaml(text, file);
}
