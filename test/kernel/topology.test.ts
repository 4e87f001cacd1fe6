import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NotSupportedError, TopologyError } from '../../src/errors.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { listLinks } from '../../src/netlink/link.js';
import {
  cleanLeftovers,
  hasNetem,
  listStates,
  Network,
  parseTopologyYaml,
  Topology,
  TopologyValidationError,
  type HostProcess,
  type HostSpec,
  type TopologySpec,
} from '../../src/topology/index.js';
import { namespacesMatching, uniqueName } from './helpers/netns.js';
import { echoRequests, pingReceived } from './helpers/packets.js';
import { waitFor } from './helpers/wait.js';
import { ownerAlive } from '../../src/topology/state.js';
import { PacketSocket } from '../../src/socket/packet-socket.js';
import { features } from '../../src/features/index.js';
import { tcProgramAttacher } from '../../simulation/tc-programs.js';
import { killMidUp, signalGroup, upInChild } from './helpers/kill-mid-up.js';

const stateDir = mkdtempSync(join(tmpdir(), 'tsbcc-topo-state-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

function bridgeOf(n: number, name: string, octet = 0): Topology {
  const t = new Topology(name).bridge('br0');
  for (let i = 1; i <= n; i++) {
    t.host(`h${i}`).link({ host: `h${i}`, addresses: [`10.${octet}.0.${i}/24`] }, { bridge: 'br0' });
  }
  return t;
}

function leftovers(prefix: string): string[] {
  return namespacesMatching(`${prefix}-`);
}

describe('Network', () => {
  it('realises a bridge of hosts where every host pings every other, and destroys it exactly', async () => {
    const name = uniqueName('t');
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const net = await Network.up(bridgeOf(4, name, 31), { stateDir });
    let prefix = '';
    try {
      prefix = net.prefix;
      expect(prefix.startsWith(`${name}-`)).toBe(true);
      expect(leftovers(prefix).sort()).toEqual(
        ['fabric', 'h1', 'h2', 'h3', 'h4'].map((h) => `${prefix}-${h}`).sort(),
      );
      expect(existsSync(join(stateDir, `${prefix}.json`))).toBe(true);
      const m = await net.pingAll();
      expect(m.failures).toEqual([]);
      expect(m.hosts).toEqual(['h1', 'h2', 'h3', 'h4']);
      // the namespace names work with `ip netns exec` from another process
      const r = await net.exec('h2', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      expect(r.stdout).toContain('10.31.0.2/24');
      // the root namespace got nothing
      const root = await NetlinkSocket.open('');
      try {
        expect((await listLinks(root)).filter((l) => l.name.includes(prefix.slice(-6)))).toEqual([]);
      } finally {
        root.close();
      }
    } finally {
      await net.destroy();
    }
    expect(leftovers(prefix)).toEqual([]);
    expect(existsSync(join(stateDir, `${prefix}.json`))).toBe(false);
    // every socket and namespace fd the network opened is closed again
    await expect
      .poll(() => readdirSync('/proc/self/fd').length, { timeout: 2000 })
      .toBeLessThanOrEqual(fdsBefore);
  });

  it('applies sysctls, MTU, MAC addresses, ifb devices and routes, and waits for them', async () => {
    const t = new Topology(uniqueName('t'))
      .host('r', {
        forwarding: true,
        ipv6: false,
        ifbs: ['ifb0'],
        sysctls: { 'net.ipv4.conf.all.rp_filter': 2 },
      })
      .host('c', { routes: [{ dst: '10.77.0.0/16', via: '10.37.0.1', metric: 5 }] })
      .link(
        { host: 'r', ifname: 'down0', addresses: ['10.37.0.1/24'], mac: '02:00:00:00:37:01', mtu: 1400 },
        { host: 'c', addresses: ['10.37.0.2/24', 'fd37::2/64'], mtu: 1400 },
      );
    await Network.run(
      t,
      async (net) => {
        await net.waitForLinkUp('c', 'eth0');
        await net.waitForAddress('c', 'fd37::2');
        const sys = async (h: string, key: string): Promise<string> =>
          (await net.exec(h, ['cat', `/proc/sys/${key}`], { check: true })).stdout.trim();
        expect(await sys('r', 'net/ipv4/ip_forward')).toBe('1');
        expect(await sys('r', 'net/ipv6/conf/all/disable_ipv6')).toBe('1');
        expect(await sys('r', 'net/ipv4/conf/all/rp_filter')).toBe('2');
        expect(await sys('c', 'net/ipv4/ip_forward')).toBe('0');
        const link = (await net.exec('r', ['ip', '-o', 'link', 'show', 'down0'], { check: true })).stdout;
        expect(link).toContain('mtu 1400');
        expect(link).toContain('link/ether 02:00:00:00:37:01');
        expect(
          (await net.exec('r', ['ip', '-o', '-d', 'link', 'show', 'ifb0'], { check: true })).stdout,
        ).toMatch(/ifb/);
        const routes = (await net.exec('c', ['ip', 'route', 'show', '10.77.0.0/16'], { check: true })).stdout;
        expect(routes.trim()).toBe('10.77.0.0/16 via 10.37.0.1 dev eth0 proto static metric 5');
        expect(await net.ping('c', 'r')).toBe(true);
        // waits time out with a message naming what was awaited
        await expect(net.waitForTcpPort('c', 4444, 200)).rejects.toThrow('TCP port 4444 listening in c');
      },
      { stateDir },
    );
  });

  it('streams the output of spawned processes and ends them on destroy', async () => {
    const net = await Network.up(bridgeOf(2, uniqueName('t'), 40), { stateDir });
    let proc: HostProcess | undefined;
    try {
      proc = net.spawn('h1', ['ping', '-n', '-i', '0.2', '10.40.0.2']);
      const out = proc.stdout as NodeJS.ReadableStream;
      const replies = await new Promise<string[]>((resolve) => {
        const got: string[] = [];
        createInterface({ input: out }).on('line', (line) => {
          if (/bytes from 10\.40\.0\.2/.test(line)) got.push(line);
          if (got.length === 2) resolve([...got]);
        });
      });
      expect(replies).toHaveLength(2);
      expect(proc.running).toBe(true);
    } finally {
      await net.destroy();
    }
    expect(proc.running).toBe(false);
    expect(await proc.exited).toBeNull(); // ended by destroy's SIGTERM
    expect(proc.child.signalCode).toBe('SIGTERM');
  });

  it('carries pings over a unicast vxlan overlay and a multicast one', async () => {
    const t = new Topology(uniqueName('t')).bridge('under');
    for (const i of [1, 2]) {
      t.host(`h${i}`, {
        vxlans: [
          {
            name: 'vx0',
            vni: 42,
            remote: `10.32.0.${3 - i}`,
            device: 'eth0',
            addresses: [`192.168.42.${i}/24`],
          },
          {
            name: 'vx1',
            vni: 43,
            group: '239.1.1.1',
            device: 'eth0',
            port: 4790,
            addresses: [`192.168.43.${i}/24`],
          },
        ],
        routes: [{ dst: '224.0.0.0/4', dev: 'eth0' }],
      }).link({ host: `h${i}`, addresses: [`10.32.0.${i}/24`] }, { bridge: 'under' });
    }
    await Network.run(
      t,
      async (net) => {
        expect(await net.ping('h1', '192.168.42.2', { count: 2 })).toBe(true);
        expect(await net.ping('h2', '192.168.42.1')).toBe(true);
        expect(await net.ping('h1', '192.168.43.2', { count: 2 })).toBe(true);
        const link = await net.exec('h1', ['ip', '-d', 'link', 'show', 'vx1']);
        expect(link.stdout).toMatch(/vxlan id 43 group 239\.1\.1\.1 dev eth0/);
      },
      { stateDir },
    );
  });

  it('bridges inside hosts: clients of two sites share one L2 segment through vxlan ports', async () => {
    const site = (i: number): HostSpec => ({
      vxlans: [{ name: 'vx0', vni: 100, remote: `10.38.0.${3 - i}`, device: 'eth0', master: `lan${i}` }],
    });
    const spec: TopologySpec = {
      name: uniqueName('t'),
      hosts: { site1: site(1), site2: site(2), client1: {}, client2: {} },
      bridges: {
        wan: {},
        lan1: { host: 'site1', addresses: ['192.168.38.251/24'] },
        lan2: { host: 'site2', addresses: ['192.168.38.252/24'] },
      },
      links: [
        { a: { host: 'site1', addresses: ['10.38.0.1/24'] }, b: { bridge: 'wan' } },
        { a: { host: 'site2', addresses: ['10.38.0.2/24'] }, b: { bridge: 'wan' } },
        { a: { host: 'client1', addresses: ['192.168.38.1/24'] }, b: { bridge: 'lan1' } },
        { a: { host: 'client2', addresses: ['192.168.38.2/24'] }, b: { bridge: 'lan2' } },
      ],
    };
    await Network.run(
      spec,
      async (net) => {
        expect(await net.ping('client1', '192.168.38.2', { count: 2 })).toBe(true);
        expect(await net.ping('client2', '192.168.38.251')).toBe(true);
        const ports = (
          await net.exec('site1', ['ip', '-o', 'link', 'show', 'master', 'lan1'], { check: true })
        ).stdout;
        expect(ports).toContain('vx0');
        expect(ports).toContain('client1-eth');
      },
      { stateDir },
    );
  });

  it('works over IPv6: addresses, a default6 route through a router, and a vxlan with an IPv6 underlay', async () => {
    const spec: TopologySpec = {
      name: uniqueName('t'),
      hosts: {
        a: {
          routes: [{ dst: 'default6', via: 'fd41:1::1' }],
          vxlans: [{ name: 'vx6', vni: 61, remote: 'fd41:2::2', addresses: ['192.168.41.1/24'] }],
        },
        r: { forwarding: true },
        b: {
          routes: [{ dst: 'default6', via: 'fd41:2::1' }],
          vxlans: [{ name: 'vx6', vni: 61, remote: 'fd41:1::2', addresses: ['192.168.41.2/24'] }],
        },
      },
      links: [
        { a: { host: 'a', addresses: ['fd41:1::2/64'] }, b: { host: 'r', addresses: ['fd41:1::1/64'] } },
        { a: { host: 'b', addresses: ['fd41:2::2/64'] }, b: { host: 'r', addresses: ['fd41:2::1/64'] } },
      ],
    };
    await Network.run(
      spec,
      async (net) => {
        expect(await net.ping('a', 'fd41:2::2')).toBe(true);
        expect(await net.ping('a', '192.168.41.2', { count: 2 })).toBe(true);
        const routes = (await net.exec('a', ['ip', '-6', 'route', 'show', 'default'], { check: true }))
          .stdout;
        expect(routes).toContain('default via fd41:1::1 dev eth0 proto static');
      },
      { stateDir },
    );
  });

  it('sets vxlan learning on and off as asked (the kernel reports it back)', async () => {
    const vx = (name: string, vni: number, learning?: boolean) => ({
      name,
      vni,
      remote: '10.46.0.2',
      device: 'eth0',
      port: 4800 + vni,
      ...(learning === undefined ? {} : { learning }),
    });
    const t = new Topology(uniqueName('t'))
      .host('a', { vxlans: [vx('vxon', 1, true), vx('vxoff', 2, false), vx('vxdef', 3)] })
      .host('b')
      .link({ host: 'a', addresses: ['10.46.0.1/24'] }, { host: 'b', addresses: ['10.46.0.2/24'] });
    await Network.run(
      t,
      async (net) => {
        const learning = async (dev: string): Promise<boolean | undefined> => {
          const out = await net.exec('a', ['ip', '-d', '-j', 'link', 'show', 'dev', dev], { check: true });
          const [link] = JSON.parse(out.stdout) as { linkinfo?: { info_data?: { learning?: boolean } } }[];
          return link?.linkinfo?.info_data?.learning;
        };
        expect(await learning('vxon')).toBe(true);
        expect(await learning('vxoff')).toBe(false);
        expect(await learning('vxdef')).toBe(true); // the kernel's default
        const text = (dev: string) =>
          net.exec('a', ['ip', '-d', 'link', 'show', 'dev', dev], { check: true });
        expect((await text('vxoff')).stdout).toMatch(/vxlan id 2 .*\bnolearning\b/s);
        expect((await text('vxon')).stdout).not.toMatch(/nolearning/);
      },
      { stateDir },
    );
  });

  it('attaches YAML tc programs in classid mode with mirred actions that act on real traffic', async (ctx) => {
    const feats = await features();
    if (!feats.has('act_mirred')) {
      console.log(`skipped: ${feats.missingReason('act_mirred')}`);
      ctx.skip();
    }
    // m and r each reach dst over eth0; their eth1 goes to tap, which has no addresses. On the
    // egress of eth0, echo requests match: m mirrors them to eth1 (pings still answered), r
    // redirects them there (no replies). tap sees the requests either way.
    const t = parseTopologyYaml(`
name: ${uniqueName('t')}
hosts: { m: { ipv6: false }, r: { ipv6: false }, dst: { ipv6: false }, tap: { ipv6: false } }
links:
  - { a: { host: m, addresses: [10.45.1.1/24] }, b: { host: dst, addresses: [10.45.1.2/24] } }
  - { a: { host: r, addresses: [10.45.2.1/24] }, b: { host: dst, addresses: [10.45.2.2/24] } }
  - { a: m, b: "tap:m0" }
  - { a: r, b: "tap:r0" }
programs:
  - host: m
    dev: eth0
    direction: egress
    file: match_icmp.c
    function: match_icmp
    mode: { classid: "1:1" }
    options: { name: copy, priority: 3, actions: [{ kind: mirred, mode: mirror, to: eth1 }] }
  - host: r
    dev: eth0
    direction: egress
    file: match_icmp.c
    function: match_icmp
    options: { directAction: false, actions: [{ kind: mirred, mode: redirect, to: eth1 }] }
`);
    const attacher = tcProgramAttacher(fileURLToPath(new URL('fixtures', import.meta.url)));
    try {
      await Network.run(
        t,
        async (net) => {
          const filters = async (h: string): Promise<string> =>
            (await net.exec(h, ['tc', 'filter', 'show', 'dev', 'eth0', 'egress'], { check: true })).stdout;
          const fm = await filters('m');
          expect(fm).toMatch(/pref 3 bpf .*tsbcc:copy/);
          expect(fm).toContain('flowid 1:1'); // the filter's classid
          expect(fm).toContain('mirred (Egress Mirror to device eth1)');
          const fr = await filters('r');
          expect(fr).toContain('tsbcc:match_icmp');
          expect(fr).toContain('mirred (Egress Redirect to device eth1)');
          for (const f of [fm, fr]) expect(f).not.toContain('direct-action');

          const ping = async (h: string, ip: string): Promise<number> =>
            pingReceived((await net.exec(h, ['ping', '-n', '-c', '3', '-i', '0.1', '-W', '1', ip])).stdout);
          const [mTap, rTap] = await Promise.all(
            ['m0', 'r0'].map((i) => PacketSocket.open({ netns: net.nsName('tap'), interface: i })),
          );
          try {
            const mirrored = echoRequests(mTap as PacketSocket, 3);
            expect(await ping('m', '10.45.1.2')).toBe(3);
            expect(await mirrored).toBe(3);
            const redirected = echoRequests(rTap as PacketSocket, 3);
            expect(await ping('r', '10.45.2.2')).toBe(0);
            expect(await redirected).toBe(3);
          } finally {
            mTap?.close();
            rTap?.close();
          }
        },
        { stateDir, attachProgram: attacher.attach },
      );
    } finally {
      attacher.close();
    }
  });

  it('fails up with NotSupportedError naming the option when a program action is missing, and rolls back', async (ctx) => {
    if ((await features()).has('act_police')) {
      console.log('act_police present: the missing-action path cannot be exercised on this kernel');
      ctx.skip();
    }
    const name = uniqueName('t');
    const t = new Topology(name)
      .hosts('a', 'b')
      .link({ host: 'a', addresses: ['10.47.0.1/24'] }, { host: 'b', addresses: ['10.47.0.2/24'] })
      .program({
        host: 'b',
        dev: 'eth0',
        direction: 'ingress',
        file: 'match_icmp.c',
        function: 'match_icmp',
        options: { actions: [{ kind: 'police', rate: '1mbit', burst: '10k' }] },
      });
    const attacher = tcProgramAttacher(fileURLToPath(new URL('fixtures', import.meta.url)));
    try {
      const err = await Network.up(t, { stateDir, attachProgram: attacher.attach }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotSupportedError);
      expect((err as NotSupportedError).kernelOption).toBe('CONFIG_NET_ACT_POLICE');
    } finally {
      attacher.close();
    }
    expect(namespacesMatching(name)).toEqual([]);
    expect(listStates(stateDir).filter((s) => s.prefix.startsWith(name))).toEqual([]);
  });

  for (const qdisc of ['tbf', 'htb'] as const) {
    it(`holds a ${qdisc}-shaped link to its rate within 10% (iperf3)`, async () => {
      const rateMbit = 20;
      const t = new Topology(uniqueName('t')).hosts('a', 'b').link(
        { host: 'a', addresses: ['10.33.0.1/24'] },
        { host: 'b', addresses: ['10.33.0.2/24'] },
        {
          shaping: { rate: `${rateMbit}mbit`, qdisc },
        },
      );
      await Network.run(
        t,
        async (net) => {
          const server = net.spawn('b', ['iperf3', '-s', '-1', '-p', '5201']);
          await net.waitForTcpPort('b', 5201);
          const r = await net.exec(
            'a',
            ['iperf3', '-c', '10.33.0.2', '-p', '5201', '-t', '4', '-O', '1', '-J'],
            {
              check: true,
            },
          );
          const report = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
          const got = report.end.sum_received.bits_per_second / 1e6;
          console.log(`${qdisc} ${rateMbit} mbit/s link: iperf3 measured ${got.toFixed(2)} mbit/s`);
          expect(Math.abs(got - rateMbit) / rateMbit).toBeLessThanOrEqual(0.1);
          await server.exited;
        },
        { stateDir },
      );
    });
  }

  // Regression: a link shaped at 55 kbit/s or less with the default burst (16 KiB) made
  // Network.up throw a RangeError half-way (the bucket's ticks were computed with a 32-bit shift).
  it('brings up links shaped at 50 kbit/s with the default burst (tbf and htb), as tc reports them', async () => {
    const t = new Topology(uniqueName('t'))
      .hosts('a', 'b', 'c')
      .link(
        { host: 'a', addresses: ['10.34.0.1/24'] },
        { host: 'b', addresses: ['10.34.0.2/24'] },
        {
          shaping: { rate: '50kbit' },
        },
      )
      .link(
        { host: 'a', addresses: ['10.34.1.1/24'] },
        { host: 'c', addresses: ['10.34.1.2/24'] },
        {
          shaping: { rate: '50kbit', qdisc: 'htb' },
        },
      );
    await Network.run(
      t,
      async (net) => {
        const tbf = (await net.exec('b', ['tc', 'qdisc', 'show', 'dev', 'eth0'], { check: true })).stdout;
        expect(tbf).toMatch(/qdisc tbf 1: root .*rate 50Kbit burst 16Kb/);
        const htb = (await net.exec('c', ['tc', 'class', 'show', 'dev', 'eth0'], { check: true })).stdout;
        expect(htb).toMatch(/class htb 1:1 root .*rate 50Kbit ceil 50Kbit burst 16Kb/);
        expect(await net.ping('a', '10.34.0.2', { count: 1, timeoutS: 5 })).toBe(true);
        expect(await net.ping('a', '10.34.1.2', { count: 1, timeoutS: 5 })).toBe(true);
      },
      { stateDir },
    );
  });

  it('refuses delay/loss without netem, naming CONFIG_NET_SCH_NETEM, and creates nothing', async (ctx) => {
    if (await hasNetem()) {
      console.log('netem present: the missing-netem path cannot be exercised on this kernel');
      ctx.skip();
    }
    const name = uniqueName('t');
    const t = new Topology(name).hosts('a', 'b').link('a', 'b', { shaping: { delay: '10ms' } });
    const err = await Network.up(t, { stateDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).kernelOption).toBe('CONFIG_NET_SCH_NETEM');
    expect(namespacesMatching(name)).toEqual([]);
  });

  it('runs two identical testbeds at once without collisions', async () => {
    const name = uniqueName('t');
    const [n1, n2] = await Promise.all([
      Network.up(bridgeOf(3, name, 34), { stateDir }),
      Network.up(bridgeOf(3, name, 34), { stateDir }),
    ]);
    try {
      expect(n1.prefix).not.toBe(n2.prefix);
      const [m1, m2] = await Promise.all([n1.pingAll(), n2.pingAll()]);
      expect(m1.failures).toEqual([]);
      expect(m2.failures).toEqual([]);
    } finally {
      await Promise.all([n1.destroy(), n2.destroy()]);
    }
    expect(namespacesMatching(name)).toEqual([]);
  });

  it('refuses a prefix that is in use and leaves the running testbed alone', async () => {
    const n1 = await Network.up(bridgeOf(2, uniqueName('t'), 42), { stateDir });
    try {
      const err = await Network.up(bridgeOf(2, 'other', 42), { stateDir, prefix: n1.prefix }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TopologyError);
      expect((err as TopologyError).message).toContain(
        `a testbed with prefix ${n1.prefix} is recorded already`,
      );
      expect((await n1.pingAll()).failures).toEqual([]);
      expect(existsSync(join(stateDir, `${n1.prefix}.json`))).toBe(true);
    } finally {
      await n1.destroy();
    }
  });

  it('rejects bad YAML and bad names with paths, creating nothing', async () => {
    const name = uniqueName('t');
    const bad = `
name: ${name}
hosts: { h1: {}, h2: {} }
links:
  - { a: h1, b: h2 }
  - { a: h1, b: h9 }
`;
    expect(() => parseTopologyYaml(bad)).toThrow('links[1].b: unknown host "h9"');
    const t = new Topology(name).hosts('h1', 'h2').link({ host: 'h1', ifname: 'much-too-long-name' }, 'h2');
    const err = await Network.up(t, { stateDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopologyValidationError);
    expect((err as TopologyError).message).toBe(
      'links[0].a.ifname: interface name "much-too-long-name" is longer than 15 bytes',
    );
    expect(namespacesMatching(name)).toEqual([]);
    expect(listStates(stateDir).filter((s) => s.prefix.startsWith(name))).toEqual([]);
  });

  it('rolls back everything when the kernel refuses a step half-way', async () => {
    const name = uniqueName('t');
    // valid as a graph, but the kernel refuses a second vxlan with the same VNI and port
    const t = bridgeOf(3, name, 35).host('h1', {
      vxlans: [
        { name: 'vxa', vni: 7, remote: '10.35.0.2' },
        { name: 'vxb', vni: 7, remote: '10.35.0.3' },
      ],
    });
    const err = await Network.up(t, { stateDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/hosts\.h1\.vxlans\[1\]: create vxlan vxb/);
    expect(namespacesMatching(name)).toEqual([]);
    expect(listStates(stateDir).filter((s) => s.prefix.startsWith(name))).toEqual([]);
  });

  it('rolls back root-namespace objects too when a later step fails', async () => {
    const name = uniqueName('t');
    const t = new Topology(name).bridge('br0', { root: true }).host('h1', {
      vxlans: [
        { name: 'vxa', vni: 9, remote: '10.39.0.2' },
        { name: 'vxb', vni: 9, remote: '10.39.0.3' },
      ],
    });
    t.link({ host: 'h1', addresses: ['10.39.0.1/24'] }, { bridge: 'br0' });
    const ours = /^x[0-9a-f]{4}(br0|p0b)$/;
    const rootNames = async (): Promise<string[]> => {
      const root = await NetlinkSocket.open('');
      try {
        return (await listLinks(root)).map((l) => l.name).filter((n) => ours.test(n));
      } finally {
        root.close();
      }
    };
    const before = await rootNames();
    let during: string[] = [];
    const err = await Network.up(t, {
      stateDir,
      onProgress: (e) => {
        // synchronously, before any rollback can run: what the root namespace holds now
        if (e.phase === 'links') {
          during = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
            .split('\n')
            .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
            .filter((n) => ours.test(n) && !before.includes(n));
        }
      },
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/hosts\.h1\.vxlans\[1\]: create vxlan vxb/);
    expect(during).toHaveLength(2); // the bridge and the outer veth end existed
    expect(await rootNames()).toEqual(before);
    expect(namespacesMatching(name)).toEqual([]);
  });

  it('puts a bridge in the root namespace only when asked, under the run prefix, and removes it', async () => {
    const t = new Topology(uniqueName('t')).bridge('br0', { root: true });
    for (const i of [1, 2])
      t.host(`h${i}`).link({ host: `h${i}`, addresses: [`10.36.0.${i}/24`] }, { bridge: 'br0' });
    let rootNames: string[] = [];
    await Network.run(
      t,
      async (net) => {
        rootNames = net.plan.rootIfaces;
        const root = await NetlinkSocket.open('');
        try {
          const names = (await listLinks(root)).map((l) => l.name);
          for (const n of rootNames) expect(names).toContain(n);
        } finally {
          root.close();
        }
        expect((await net.pingAll()).failures).toEqual([]);
      },
      { stateDir },
    );
    const root = await NetlinkSocket.open('');
    try {
      const names = (await listLinks(root)).map((l) => l.name);
      for (const n of rootNames) expect(names).not.toContain(n);
    } finally {
      root.close();
    }
  });

  it('removes its testbed when the process gets SIGTERM (exit registry)', async () => {
    const prefix = uniqueName('t');
    const child = await upInChild(prefix, stateDir, 5, /^up$/m);
    expect(leftovers(prefix)).toHaveLength(6);
    await signalGroup(child, 'SIGTERM');
    await expect.poll(() => leftovers(prefix), { timeout: 10_000 }).toEqual([]);
    expect(readdirSync(stateDir).filter((f) => f.startsWith(prefix))).toEqual([]);
  });

  it('leaves state that clean removes completely after a SIGKILL mid-up', async () => {
    const prefix = uniqueName('t');
    await killMidUp(prefix, stateDir);
    const before = leftovers(prefix);
    expect(before.length).toBeGreaterThan(0);
    const [state] = listStates(stateDir).filter((s) => s.prefix === prefix);
    expect(state?.status).toBe('creating');
    // SIGKILL is delivered at once, but the killed process takes a moment to finish exiting;
    // clean (rightly) leaves runs whose owner is still alive alone, so wait for it to be gone.
    await waitFor(() => state !== undefined && !ownerAlive(state), `owner of ${prefix} to exit`, 10_000);
    // a clean of another directory (another user's runs) does not touch it
    const other = mkdtempSync(join(tmpdir(), 'tsbcc-topo-other-'));
    expect(await cleanLeftovers({ dir: other })).toEqual([]);
    rmSync(other, { recursive: true });
    expect(leftovers(prefix)).toEqual(before);
    const reports = await cleanLeftovers({ dir: stateDir });
    const mine = reports.find((r) => r.prefix === prefix);
    expect(mine?.namespaces.sort()).toEqual(before.sort());
    expect(leftovers(prefix)).toEqual([]);
    expect(readdirSync(stateDir).filter((f) => f.startsWith(prefix))).toEqual([]);
  });
});
