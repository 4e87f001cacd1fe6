import { describe, expect, it } from 'vitest';
import {
  FABRIC,
  Topology,
  TopologyValidationError,
  resolveTopology,
  type TopologySpec,
} from '../../src/topology/index.js';
import { parseCidr, networkOf, cidrContains, parseIp, formatIp } from '../../src/netlink/ip.js';
import { parseRate, parseSize, parseTime, parsePercent } from '../../src/topology/units.js';

const problems = (spec: TopologySpec): string[] =>
  resolveTopology(spec, 'tb-000000').problems.map((p) => `${p.path}: ${p.message}`);

describe('topology validation', () => {
  it('accepts a bridge of hosts and resolves names, indexes and the fabric', () => {
    const t = new Topology('lab').bridge('br0');
    for (let i = 1; i <= 3; i++)
      t.host(`h${i}`).link({ host: `h${i}`, addresses: [`10.0.0.${i}/24`] }, { bridge: 'br0' });
    expect(t.validate()).toEqual([]);
    const plan = t.plan('lab-abcdef');
    expect(plan.namespaces.map((n) => n.name)).toEqual([
      'lab-abcdef-h1',
      'lab-abcdef-h2',
      'lab-abcdef-h3',
      'lab-abcdef-fabric',
    ]);
    expect(plan.veths).toHaveLength(3);
    const [v] = plan.veths;
    expect(v?.a).toMatchObject({ ns: 'h1', name: 'eth0', addresses: ['10.0.0.1/24'] });
    expect(v?.b).toMatchObject({ ns: FABRIC, name: 'h1-eth', master: 'br0' });
    // ifindexes are distinct per namespace
    const fabricIdx = plan.veths.map((x) => x.b.index);
    expect(new Set(fabricIdx).size).toBe(3);
    expect(fabricIdx).not.toContain(plan.bridges[0]?.index);
  });

  it('reports dangling ends with their path', () => {
    const p = problems({ hosts: { h1: {} }, links: [{ a: { host: 'h1' }, b: { host: 'h9' } }] });
    expect(p).toEqual(['links[0].b: unknown host "h9"']);
    expect(problems({ hosts: { h1: {} }, links: [{ a: { host: 'h1' }, b: { bridge: 'nope' } }] })).toEqual([
      'links[0].b: unknown bridge "nope"',
    ]);
  });

  it('refuses a 1024th port on one bridge (the kernel would fail with EXFULL midway)', () => {
    const t = new Topology('lab').bridge('br0').bridge('br1');
    for (let i = 0; i < 1025; i++)
      t.host(`h${i}`).link({ host: `h${i}` }, { bridge: i < 1023 ? 'br0' : 'br1' });
    expect(t.validate()).toEqual([]);
    t.host('h1025').link({ host: 'h1025' }, { bridge: 'br0' });
    t.host('h1026').link({ host: 'h1026' }, { bridge: 'br0' });
    expect(t.validate().map((p) => `${p.path}: ${p.message}`)).toEqual([
      'links[1025].b: bridge "br0" would get its 1024th port here; a Linux bridge holds at most 1023 (use more bridges)',
    ]);
  });

  it('rejects bad names, CIDRs, MACs, MTUs and over-long interface names', () => {
    const p = problems({
      hosts: { 'bad name': {}, h1: {}, h2: {} },
      links: [
        {
          a: { host: 'h1', ifname: 'averyveryverylongname', addresses: ['10.0.0.300/24'] },
          b: { host: 'h2', mac: '01:00:00:00:00:01', mtu: 20 },
        },
        { a: { host: 'h1', addresses: ['10.0.0.1'] }, b: { host: 'h2', mac: 'zz' } },
      ],
    });
    expect(p).toContain(
      "hosts.bad name: invalid host name \"bad name\" (letters, digits, '_' and '-', at most 32, starting alphanumeric)",
    );
    expect(p).toContain('links[0].a.addresses[0]: invalid IP address "10.0.0.300"');
    expect(p).toContain('links[0].a.ifname: interface name "averyveryverylongname" is longer than 15 bytes');
    expect(p).toContain('links[0].b.mac: MAC address 01:00:00:00:00:01 is multicast; use a unicast one');
    expect(p).toContain('links[0].b.mtu: invalid MTU 20 (68-65535)');
    expect(p).toContain('links[1].a.addresses[0]: invalid CIDR "10.0.0.1": expected ADDRESS/PREFIXLEN');
    expect(p).toContain('links[1].b.mac: invalid MAC address "zz" (six hex octets like 02:00:00:00:00:01)');
  });

  it('finds duplicates: interface names, addresses, MACs', () => {
    const p = problems({
      hosts: { h1: {}, h2: {} },
      links: [
        {
          a: { host: 'h1', ifname: 'eth0', addresses: ['10.0.0.1/24'], mac: '02:00:00:00:00:01' },
          b: { host: 'h2' },
        },
        {
          a: { host: 'h1', ifname: 'eth0' },
          b: { host: 'h2', addresses: ['10.0.0.1/24'], mac: '02:00:00:00:00:01' },
        },
      ],
    });
    expect(p).toEqual([
      'links[1].a.ifname: duplicate interface name "eth0" in host "h1" (also at links[0].a.ifname)',
      'links[1].b.addresses[0]: duplicate address 10.0.0.1 (also at links[0].a.addresses[0])',
      'links[1].b.mac: duplicate MAC address 02:00:00:00:00:01 (also at links[0].a.mac)',
    ]);
  });

  it('checks vxlan, route and shaping consistency', () => {
    const p = problems({
      hosts: {
        h1: {
          vxlans: [
            { name: 'vx0', vni: 1 << 24, group: '10.0.0.9' },
            { name: 'vx1', vni: 5, group: '239.1.1.1', device: 'eth5' },
            { name: 'vx2', vni: 6, remote: '239.1.1.1' },
          ],
          routes: [
            { dst: '10.9.0.0/33', via: '10.0.0.2' },
            { dst: 'default' },
            { dst: 'default', via: '192.168.5.1' },
          ],
        },
        h2: {},
      },
      links: [
        {
          a: { host: 'h1', addresses: ['10.0.0.1/24'] },
          b: { host: 'h2' },
          shaping: { rate: 'fast', delay: 'soon' },
        },
      ],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        'hosts.h1.vxlans[0].vni: invalid VNI 16777216 (0-16777215)',
        'hosts.h1.vxlans[0].group: 10.0.0.9 is not a multicast address',
        'hosts.h1.vxlans[0].device: a multicast group needs the underlay device',
        'hosts.h1.vxlans[1].device: no interface "eth5" in host "h1"',
        'hosts.h1.vxlans[2].remote: 239.1.1.1 is multicast; use group for it',
        'hosts.h1.routes[0].dst: invalid CIDR "10.9.0.0/33": prefix length must be 0-32',
        'hosts.h1.routes[1]: a route needs via or dev',
        'hosts.h1.routes[2].via: gateway 192.168.5.1 is not in any subnet of host "h1"',
        'links[0].shaping.rate: invalid rate "fast" (e.g. 10mbit, 1gbit, 500kbit)',
        'links[0].shaping.delay: invalid delay "soon" (e.g. 10ms)',
      ]),
    );
  });

  it('gives a flow-based vxlan a UDP port of its own', () => {
    const spec: TopologySpec = {
      hosts: {
        a: {
          vxlans: [
            { name: 'v0', vni: 1, remote: '10.0.0.1' },
            { name: 'v1', vni: 0, external: true },
            { name: 'v2', vni: 0, external: true, port: 4790 },
          ],
        },
      },
    };
    expect(problems(spec)).toEqual([
      'hosts.a.vxlans[1].port: UDP port 4789 is taken by another vxlan in host "a" (an external vxlan needs a port of its own)',
    ]);
  });

  it('plan() throws a TopologyValidationError carrying every problem', () => {
    const t = new Topology().host('h1').link('h1', 'h9').link('h1', 'h8');
    let err: unknown;
    try {
      t.plan();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TopologyValidationError);
    const v = err as TopologyValidationError;
    expect(v.path).toBe('links[0].b');
    expect(v.message).toMatch(
      /^links\[0\]\.b: unknown host "h9" \(and 1 more: links\[1\]\.b: unknown host "h8"\)$/,
    );
    expect(v.problems).toHaveLength(2);
  });

  it('puts root bridges and their ports under the run prefix', () => {
    const plan = new Topology()
      .host('h1')
      .bridge('br0', { root: true })
      .link('h1', { bridge: 'br0' })
      .plan('tb-1', 'x1234');
    expect(plan.rootIfaces).toEqual(['x1234br0', 'x1234p0b']);
    expect(plan.namespaces.map((n) => n.key)).toEqual(['h1']); // no fabric needed
  });

  it('turns host options into sysctls', () => {
    const plan = new Topology()
      .host('r', { forwarding: true, ipv6: false, sysctls: { 'net.ipv4.conf.all.rp_filter': 0 } })
      .plan('p-1');
    expect(plan.namespaces[0]?.sysctls).toEqual([
      ['net.ipv6.conf.all.disable_ipv6', '1'],
      ['net.ipv6.conf.default.disable_ipv6', '1'],
      ['net.ipv4.ip_forward', '1'],
      ['net.ipv6.conf.all.forwarding', '1'],
      ['net.ipv4.conf.all.rp_filter', '0'],
    ]);
  });
});

describe('topology tc program options', () => {
  const base = (programs: TopologySpec['programs']): TopologySpec => ({
    hosts: { r: {}, c: {} },
    links: [
      { a: { host: 'r', addresses: ['10.0.0.1/24'] }, b: { host: 'c', addresses: ['10.0.0.2/24'] } },
      { a: { host: 'r', ifname: 'tap0' }, b: { host: 'c' } },
    ],
    programs,
  });
  const prog = { host: 'r', dev: 'eth0', direction: 'ingress', file: 'p.c', function: 'f' } as const;
  const planOf = (spec: TopologySpec) => {
    const { plan, problems: pr } = resolveTopology(spec, 'tb-000000');
    expect(pr).toEqual([]);
    return plan?.programs ?? [];
  };

  it('resolves direct action by default, and classid mode from mode, classid or actions', () => {
    const mirred = { kind: 'mirred', mode: 'redirect', to: 'tap0' } as const;
    const programs = planOf(
      base([
        prog,
        { ...prog, direction: 'egress', mode: { classid: '1:10' }, options: { priority: 3, name: 'x' } },
        { ...prog, options: { directAction: false, actions: [mirred] } },
        { ...prog, options: { actions: [{ ...mirred, mode: 'mirror', direction: 'ingress' }] } },
        { ...prog, options: { classid: '1:20', protocol: 'ip', handle: 7, chain: 2, replace: true } },
        { ...prog, direction: 'egress', options: { parent: '1:', classid: 0x10010 } },
      ]),
    );
    expect(programs.map((p) => p.filter)).toEqual([
      { parent: 'ingress', directAction: true, name: 'f', actions: [] },
      { parent: 'egress', directAction: false, classid: '1:10', name: 'x', priority: 3, actions: [] },
      { parent: 'ingress', directAction: false, name: 'f', actions: [mirred] },
      {
        parent: 'ingress',
        directAction: false,
        name: 'f',
        actions: [{ ...mirred, mode: 'mirror', direction: 'ingress' }],
      },
      {
        parent: 'ingress',
        directAction: false,
        classid: '1:20',
        name: 'f',
        protocol: 'ip',
        handle: 7,
        chain: 2,
        replace: true,
        actions: [],
      },
      { parent: '1:', directAction: false, classid: 0x10010, name: 'f', actions: [] },
    ]);
  });

  it('reports every bad option with its path', () => {
    const p = problems(
      base([
        { ...prog, options: { parent: 'egress', priority: 70000, name: 'a b', protocol: 'ipx' as never } },
        { ...prog, mode: 'direct-action', options: { directAction: false, classid: '1:10000' } },
        { ...prog, mode: { classid: '1:10' }, options: { classid: '1:11', directAction: true } },
        {
          ...prog,
          mode: 'direct-action',
          options: { actions: [{ kind: 'mirred', mode: 'redirect', to: 'tap0' }] },
        },
        { ...prog, options: { parent: '1:' } },
        { ...prog, options: 'fast' as never },
        { ...prog, mode: { classid: 'x' } as never },
      ]),
    );
    expect(p).toEqual([
      'programs[0].options.parent: parent egress conflicts with direction ingress',
      'programs[0].options.priority: invalid filter priority 70000: 1-65535',
      'programs[0].options.protocol: invalid filter protocol "ipx" (all, ip, ipv6 or 0-65535)',
      `programs[0].options.name: invalid filter name "a b" (1-200 letters, digits, '_', '.' or '-')`,
      'programs[1].options.directAction: directAction: false conflicts with mode direct-action',
      'programs[1].options.classid: invalid filter classid "1:10000": minor "10000" is not 1-4 hex digits (expected MAJ:MIN in hex, e.g. "1:10" or "ffff:")',
      'programs[2].options.classid: classid "1:11" conflicts with mode { classid: "1:10" }',
      'programs[2].options.directAction: directAction: true conflicts with mode { classid: "1:10" }',
      'programs[3].options.actions: actions run only in classid mode, not with direct action (directAction: false)',
      'programs[4].options.parent: parent "1:" is a qdisc or class, on the egress path; set direction: egress',
      'programs[5].options: options must be a mapping (parent, priority, name, directAction, classid, actions, ...)',
      'programs[6].mode: mode is direct-action or { classid: "MAJOR:MINOR" } (hex)',
    ]);
  });

  it('checks actions: kinds, mirred targets in the host, police and gact values', () => {
    const act = (...actions: unknown[]) => ({ ...prog, options: { directAction: false, actions } }) as never;
    const p = problems(
      base([
        act(
          { kind: 'mirred', mode: 'redirect', to: 'eth9' },
          { kind: 'mirred', mode: 'bounce', to: 'much-too-long-name', direction: 'up' },
          { kind: 'mirred', mode: 'mirror' },
        ),
        act(
          { kind: 'police', rate: '12xbit', burst: '10k' },
          { kind: 'police', rate: '1mbit', peakrate: '2mbit', exceed: 'explode' },
          { kind: 'gact', verdict: 'drop' },
          { kind: 'gact', verdict: 'maybe' },
        ),
        act({ kind: 'bpf' }, { kind: 'nat' }, 'mirred'),
      ]),
    );
    expect(p).toEqual([
      'programs[0].options.actions[1].mode: invalid mirred mode "bounce" (use redirect or mirror)',
      'programs[0].options.actions[1].to: interface name "much-too-long-name" is longer than 15 bytes',
      'programs[0].options.actions[1].direction: invalid mirred direction "up" (use egress or ingress)',
      'programs[0].options.actions[2].to: mirred needs the interface to send to (to)',
      'programs[1].options.actions[0].rate: invalid police rate "12xbit": unknown unit "xbit" (use bit, kbit, mbit, gbit, kibit, mibit, bps, kbps, mbps, gbps)',
      'programs[1].options.actions[1].burst: police needs a burst such as 10k',
      'programs[1].options.actions[1].peakrate: police peakrate needs an mtu',
      'programs[1].options.actions[1].exceed: invalid police exceed verdict "explode" (use ok, drop, pipe, reclassify, continue, stolen)',
      'programs[1].options.actions[3].verdict: invalid gact verdict "maybe" (use ok, drop, pipe, reclassify, continue, stolen)',
      'programs[2].options.actions[0].kind: a bpf action needs a loaded SCHED_ACT program, which a testbed cannot describe (attach it with TcDevice.attachBpf)',
      'programs[2].options.actions[1].kind: unknown action kind "nat" (use gact, mirred, police)',
      'programs[2].options.actions[2]: an action is a mapping with kind (gact, mirred, police)',
      // the mirred target must exist in the program's host (checked with the other devices)
      'programs[0].options.actions[0].to: no interface "eth9" in host "r"',
    ]);
  });
});

describe('topology units and addresses', () => {
  it('parses rates, sizes, times and percentages', () => {
    expect(parseRate('10mbit')).toBe(10e6);
    expect(parseRate('1gbit')).toBe(1e9);
    expect(parseRate('125kbps')).toBe(1e6);
    expect(parseRate(5000)).toBe(5000);
    expect(parseRate('10 parsecs')).toBeUndefined();
    expect(parseSize('32kb')).toBe(32768);
    expect(parseTime('10ms')).toBe(10_000);
    expect(parsePercent('1.5%')).toBeCloseTo(0.015);
    expect(parsePercent('150%')).toBeUndefined();
  });

  it("reads tc's spellings through the shared parser but keeps its own policy (undefined, no rounding)", () => {
    expect(parseRate('1kibit')).toBe(1024);
    expect(parseSize('1.5k')).toBe(1536);
    expect(parseTime('2SEC')).toBe(2e6);
    expect(parseSize('0')).toBe(0); // "no burst given": the default applies
    expect(parseRate('1.5bit')).toBe(1.5);
    expect(parseTime('1.5us')).toBe(1.5);
    expect(parseSize('1.3b')).toBeUndefined(); // not whole bytes
    expect(parseSize(1.5)).toBeUndefined();
    expect(parseRate('0bit')).toBeUndefined();
    expect(parseTime('5 parsecs')).toBeUndefined();
  });

  it('parses CIDRs and computes networks', () => {
    const c = parseCidr('10.1.2.3/16');
    expect(formatIp(networkOf(c))).toBe('10.1.0.0');
    expect(cidrContains(c, parseIp('10.1.200.1'))).toBe(true);
    expect(cidrContains(c, parseIp('10.2.0.1'))).toBe(false);
    expect(parseIp('fd00::1').bytes.toString('hex')).toBe('fd000000000000000000000000000001');
    expect(parseIp('::ffff:1.2.3.4').bytes.toString('hex')).toBe('00000000000000000000ffff01020304');
  });
});
