import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runTunnelMonitor, type Flow } from '../../examples/networking/tunnel_monitor/tunnel_monitor.js';

// Outer Ethernet + IPv4 + UDP + VXLAN around the inner Ethernet frame of a 56-byte ping.
const ICMP_FRAME_ON_UNDERLAY = 14 + 20 + 8 + 8 + (14 + 20 + 8 + 56);

describe('tunnel_monitor example (vxlan flows counted on the underlay, real traffic)', () => {
  it('counts each overlay flow by outer/inner addresses and VNI, exactly for ping, and serves them as JSON', async () => {
    const lines: string[] = [];
    let served: Flow[] = [];
    const r = await runTunnelMonitor({
      pings: 5,
      bytes: '2M',
      log: (l) => lines.push(l),
      serve: {
        port: 0,
        // no traffic while serving: the served flows are then exactly the ones read before
        liveTraffic: false,
        whileServing: async (url) => {
          expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
          served = (await (await fetch(`${url}flows.json`)).json()) as Flow[];
        },
      },
    });
    expect(r.pings).toEqual({ sent: 5, received: 5 });
    expect(r.flows.map((f) => [f.outerA, f.outerB, f.vni, f.innerA, f.innerB])).toEqual([
      ['172.18.0.1', '172.18.0.2', 10, '192.168.10.1', '192.168.10.2'],
      ['172.18.0.1', '172.18.0.2', 20, '192.168.20.1', '192.168.20.2'],
    ]);
    const [icmp, tcp] = r.flows as [Flow, Flow];
    // the VNI 10 flow carries only the pings: one packet per echo request and reply
    expect([icmp.aToBPkts, icmp.bToAPkts]).toEqual([5, 5]);
    expect([icmp.aToBBytes, icmp.bToABytes]).toEqual([
      5 * ICMP_FRAME_ON_UNDERLAY,
      5 * ICMP_FRAME_ON_UNDERLAY,
    ]);
    // the VNI 20 flow carries only iperf3 (TCP): every segment each side's stack sent, and at
    // least the payload host1 received
    expect(tcp.aToBPkts).toBe(r.tcpSegmentsSent.host0);
    expect(tcp.bToAPkts).toBe(r.tcpSegmentsSent.host1);
    expect(tcp.aToBBytes).toBeGreaterThan(r.tcpBytesReceived);
    expect(served).toEqual(r.flows);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });

  it('removes the testbed, the filters and the server when a step fails (here the serving callback)', async () => {
    const lines: string[] = [];
    let url = '';
    const run = runTunnelMonitor({
      pings: 1,
      bytes: '64K',
      log: (l) => lines.push(l),
      serve: {
        port: 0,
        whileServing: (u) => {
          url = u;
          return Promise.reject(new Error('viewer crashed'));
        },
      },
    });
    await expect(run).rejects.toThrow('viewer crashed');
    const prefix = /namespaces (tunmon-[0-9a-f]+)-\*/.exec(lines[0] ?? '')?.[1];
    expect(prefix).toBeDefined();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(prefix);
    await expect(fetch(url)).rejects.toThrow();
  });
});
