import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Simulation, testbedsDir } from '../../simulation/index.js';
import { namespacesMatching, uniqueName } from './helpers/netns.js';

async function withSim(testbed: string, fn: (sim: Simulation) => Promise<void>): Promise<void> {
  const prefix = uniqueName('t');
  const sim = await Simulation.start(testbed, { prefix });
  try {
    await fn(sim);
  } finally {
    await sim.destroy();
  }
  expect(namespacesMatching(`${prefix}-`)).toEqual([]);
}

describe('Simulation over the bundled testbeds', () => {
  it('bridge-4: every host reaches every other', async () => {
    await withSim('bridge-4', async (sim) => {
      const m = await sim.pingAll();
      expect(m.hosts).toHaveLength(4);
      expect(m.failures).toEqual([]);
    });
  });

  it('two-hosts: IPv4 and IPv6 across one link', async () => {
    await withSim('two-hosts', async (sim) => {
      expect(await sim.ping('a', '10.20.0.2')).toBe(true);
      expect(await sim.ping('b', 'fd20::1')).toBe(true);
      expect(await sim.run('a', 'ip', '-o', 'link', 'show', 'eth0')).toMatch(/state UP/);
    });
  });

  it('router: two subnets reach each other through a forwarding host', async () => {
    await withSim('router', async (sim) => {
      expect(await sim.ping('left', sim.ip('right'))).toBe(true);
      const trace = await sim.run('left', 'ip', 'route', 'get', sim.ip('right'));
      expect(trace).toContain('via 10.40.1.1');
    });
  });

  it('vxlan-overlay: the overlay subnet spans the hosts over a multicast group', async () => {
    await withSim('vxlan-overlay', async (sim) => {
      expect(await sim.ping('host0', '192.168.100.2', 2)).toBe(true);
      expect(await sim.ping('host2', '192.168.100.1', 2)).toBe(true);
    });
  });

  it('vxlan-external: flow-based vxlan devices are made in external mode', async () => {
    await withSim('vxlan-external', async (sim) => {
      const out = await sim.run('host0', 'ip', '-d', 'link', 'show', 'vxlan0');
      expect(out).toMatch(/vxlan (id 0 )?.*external/);
      expect(sim.iface('host1', 'vxlan0').netns).toBe(sim.ns('host1'));
    });
  });

  it('shaped-link: iperf3 through the 20 mbit/s link stays within 10%', async () => {
    await withSim('shaped-link', async (sim) => {
      const bps = await sim.iperf('client', 'server', { seconds: 3 });
      expect(Math.abs(bps / 20e6 - 1)).toBeLessThanOrEqual(0.1);
    });
  });
});

describe('Simulation with tc programs from the testbed', () => {
  it('tc-drop-icmp: the attached program drops and counts ICMP while TCP passes, and is removed', async () => {
    await withSim('tc-drop-icmp', async (sim) => {
      const filters = await sim.run('server', 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress');
      expect(filters).toMatch(/bpf .*drop_icmp.*direct-action/);
      expect(await sim.ping('client', 'server', 3)).toBe(false);
      const counts = sim.object('../programs/drop_icmp.c')?.map('counts').lookup(Buffer.alloc(4));
      expect(counts?.readBigUInt64LE(0)).toBe(3n);
      const srv = sim.spawn('server', 'iperf3', '-s', '-1', '-p', '5202');
      await sim.net.waitForTcpPort('server', 5202);
      const out = await sim.run('client', 'iperf3', '-c', sim.ip('server'), '-p', '5202', '-t', '1', '-J');
      expect(
        (JSON.parse(out) as { end: { sum_received: { bytes: number } } }).end.sum_received.bytes,
      ).toBeGreaterThan(0);
      await srv.exited;
    });
    const loaded = (): { name?: string }[] =>
      (
        JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' })) as {
          name?: string;
        }[]
      ).filter((p) => p.name === 'drop_icmp');
    // the kernel releases a removed filter's program after an RCU grace period
    await expect.poll(loaded, { timeout: 5000 }).toEqual([]);
  });
});

describe('every bundled testbed', () => {
  const beds = readdirSync(testbedsDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5));
  it.each(beds)('%s comes up, every host answers through ip netns exec, and it goes away', async (bed) => {
    await withSim(bed, async (sim) => {
      expect(sim.hosts.length).toBeGreaterThan(0);
      for (const h of sim.hosts)
        expect((await sim.run(h, 'ip', '-o', 'link', 'show', 'lo')).length).toBeGreaterThan(0);
    });
  });

  it("neighbor_sharing: all hosts share br100, the operator's bridge in the fabric", async () => {
    await withSim('neighbor_sharing', async (sim) => {
      expect((await sim.pingAll()).failures).toEqual([]);
      expect(await sim.run('@fabric', 'ip', '-o', 'link', 'show', 'master', 'br100')).toContain('wan0-port');
    });
  });

  it('tunnel_monitor: the four vxlan segments carry pings between clients of different hosts', async () => {
    await withSim('tunnel_monitor', async (sim) => {
      for (let k = 0; k < 4; k++) {
        expect(
          (await sim.exec('host0', 'ping', '-c', '1', '-W', '2', '-I', `c${k}a`, `192.168.${k}.9`)).code,
        ).toBe(0);
      }
    });
  });
});
