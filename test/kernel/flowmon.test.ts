/**
 * `tsbcc flowmon` as an operator runs it: the CLI in a child process attached to a host's
 * underlay interface in a testbed (two hosts, VNIs 100 and 200 of unicast vxlan between them),
 * scraped over HTTP while traffic of known size runs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, Topology } from '../../src/index.js';
import { nsExec, run, uniqueName } from './helpers/netns.js';
import { requireFeatures } from './helpers/require-features.js';

const A = '10.231.0.1';
const B = '10.231.0.2';

function testbed(name: string): Topology {
  // No IPv6: its neighbour discovery and MLD on the overlay would keep (non-IPv4) flows alive.
  const t = new Topology(name).host('a', { ipv6: false }).host('b', { ipv6: false });
  t.link(
    { host: 'a', ifname: 'eth0', addresses: [`${A}/24`] },
    { host: 'b', ifname: 'eth0', addresses: [`${B}/24`] },
  );
  for (const [host, local, remote, n] of [
    ['a', A, B, 1],
    ['b', B, A, 2],
  ] as const) {
    for (const vni of [100, 200]) {
      t.vxlan(host, {
        name: `vx${vni}`,
        vni,
        local,
        remote,
        device: 'eth0',
        addresses: [`192.168.${vni}.${n}/24`],
        mac: `02:00:00:00:${vni === 100 ? '64' : 'c8'}:0${n}`,
      });
    }
  }
  return t;
}

/** The flowmon child: its output so far, and a way to wait for a line. */
class Child {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out + this.err);
      if (m) return m;
      if (Date.now() > end || this.proc.exitCode !== null) {
        throw new Error(`flowmon: no ${re} in its output:\n${this.out}\n${this.err}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function startFlowmon(args: string[]): Child {
  return new Child(spawn('node', ['dist/src/cli/main.js', 'flowmon', ...args], { stdio: 'pipe' }));
}

/** Metric samples `name{labels} value` of one metric, as label text -> value. */
function series(text: string, name: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(name.length, i), Number(line.slice(i + 1)));
  }
  return m;
}

const flowLabels = (os: string, od: string, vni: number, is: string, id: string): string =>
  `{outer_src="${os}",outer_dst="${od}",vni="${vni}",inner_src="${is}",inner_dst="${id}"}`;

/** TCP segments sent (including retransmissions) and received by a namespace (/proc/net/snmp). */
function tcpSegments(ns: string): { out: number; in: number } {
  const lines = nsExec(ns, ['cat', '/proc/net/snmp'])
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const keys = (lines[0] ?? '').split(/\s+/);
  const vals = (lines[1] ?? '').split(/\s+/).map(Number);
  const get = (k: string): number => vals[keys.indexOf(k)] ?? NaN;
  return { out: get('OutSegs') + get('RetransSegs'), in: get('InSegs') };
}

function filters(ns: string): string {
  return ['ingress', 'egress']
    .map((hook) => nsExec(ns, ['tc', 'filter', 'show', 'dev', 'eth0', hook]))
    .join('')
    .trim();
}

describe('tsbcc flowmon (the CLI in a child process, watching host a of a two-VNI testbed)', () => {
  it('/metrics counts exactly the pings and TCP segments sent across two VNIs, idle flows expire, SIGHUP reloads, SIGTERM leaves nothing', async (ctx) => {
    await requireFeatures(ctx, 'clsact', 'cls_bpf', 'vxlan');
    await Network.run(testbed(uniqueName('fm')), async (net) => {
      const nsA = net.nsName('a');
      const nsB = net.nsName('b');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-flowmon-'));
      const config = join(dir, 'flowmon.yaml');
      writeFileSync(config, `dev: eth0\nnetns: ${nsA}\ninterval: 1\nidle: 4\n`);
      const fm = startFlowmon(['--config', config, '--metrics', '127.0.0.1:0', '-n', '5']);
      let progIds: string[] = [];
      try {
        const url = (await fm.waitFor(/metrics and dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/))[1] ?? '';
        const scrape = async (): Promise<string> => (await fetch(`${url}metrics`)).text();
        await fm.waitFor(/^flowmon: watching/m);
        progIds = [...filters(nsA).matchAll(/\bid (\d+)/g)].map((m) => m[1] ?? '');
        expect(progIds.length).toBe(2); // ingress and egress

        // VNI 200: a TCP transfer from a to b (iperf3, 300 KB), counted against a's TCP counters.
        const server = spawn('ip', ['netns', 'exec', nsB, 'iperf3', '-s', '-1', '-B', '192.168.200.2'], {
          stdio: 'ignore',
        });
        try {
          for (let i = 0; ; i++) {
            if (/192\.168\.200\.2:5201/.test(nsExec(nsB, ['ss', '-ltn']))) break;
            if (i > 200) throw new Error('iperf3 server did not listen');
            await new Promise((r) => setTimeout(r, 25));
          }
          const before = tcpSegments(nsA);
          nsExec(nsA, ['iperf3', '-c', '192.168.200.2', '-n', '300K', '-J']);
          // the closing handshake ends after the client exits: wait until a's counters stand still
          let after = tcpSegments(nsA);
          for (let i = 0; i < 100; i++) {
            await new Promise((r) => setTimeout(r, 100));
            const now = tcpSegments(nsA);
            if (now.out === after.out && now.in === after.in && i >= 3) break;
            after = now;
          }
          const text = await scrape();
          const pk = series(text, 'tsbcc_vxlan_flow_packets_total');
          expect(pk.get(flowLabels(A, B, 200, '192.168.200.1', '192.168.200.2'))).toBe(
            after.out - before.out,
          );
          expect(pk.get(flowLabels(B, A, 200, '192.168.200.2', '192.168.200.1'))).toBe(after.in - before.in);
          expect(after.out - before.out).toBeGreaterThan(200); // 300 KB in segments of at most ~1.4 KB
        } finally {
          server.kill();
        }

        // VNI 100: 7 pings of 100 bytes; each outer frame is 14+20+8+8 + 14+20+8+100 = 192 bytes.
        const ping = nsExec(nsA, ['ping', '-c', '7', '-i', '0.05', '-s', '100', '-q', '192.168.100.2']);
        expect(ping).toContain('7 packets transmitted, 7 received');
        const text = await scrape();
        const pk = series(text, 'tsbcc_vxlan_flow_packets_total');
        const by = series(text, 'tsbcc_vxlan_flow_bytes_total');
        const req = flowLabels(A, B, 100, '192.168.100.1', '192.168.100.2');
        const rep = flowLabels(B, A, 100, '192.168.100.2', '192.168.100.1');
        expect([pk.get(req), by.get(req), pk.get(rep), by.get(rep)]).toEqual([7, 7 * 192, 7, 7 * 192]);
        // ARP of each VNI is counted apart (non-IPv4), not in the IPv4 flows
        const arp = series(text, 'tsbcc_vxlan_non_ipv4_packets_total');
        expect([...arp.keys()].some((k) => k.includes('vni="100"'))).toBe(true);
        expect(series(text, 'tsbcc_vxlan_flows').get('')).toBeGreaterThanOrEqual(4);
        // the table printed every second shows the flows
        await fm.waitFor(
          /^100\s+10\.231\.0\.1\s+10\.231\.0\.2\s+192\.168\.100\.1\s+192\.168\.100\.2\s+7\s+1344\s+7\s+1344\b/m,
        );

        // idle expiry: 4 s without a packet, swept on the next table: the table empties
        const t0 = Date.now();
        for (;;) {
          const flows = series(await scrape(), 'tsbcc_vxlan_flows').get('');
          if (flows === 0) break;
          if (Date.now() - t0 > 12_000) {
            throw new Error(`flows not expired: ${flows}: ${await (await fetch(`${url}flows.json`)).text()}`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        // not before their idle time: the ping ended at most ~t0, so at least ~4 s minus the scrape
        expect(Date.now() - t0).toBeGreaterThan(2500);
        expect(fm.out).toMatch(/expired [1-9]\d*/);

        // SIGHUP: the config file now says egress only; the ingress filter goes, egress stays
        writeFileSync(config, `dev: eth0\nnetns: ${nsA}\ninterval: 1\nidle: 4\ndirection: egress\n`);
        fm.proc.kill('SIGHUP');
        await fm.waitFor(/SIGHUP: now watching eth0 in \S+ \(egress\)/);
        expect(nsExec(nsA, ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress']).trim()).toBe('');
        expect(nsExec(nsA, ['tc', 'filter', 'show', 'dev', 'eth0', 'egress'])).toContain(
          'vxlan-flows-egress',
        );
        writeFileSync(config, 'interval: [\n');
        fm.proc.kill('SIGHUP');
        await fm.waitFor(/SIGHUP: kept the running options: .*flowmon\.yaml:\d+:\d+/);
        expect(nsExec(nsA, ['tc', 'filter', 'show', 'dev', 'eth0', 'egress'])).toContain(
          'vxlan-flows-egress',
        );
      } finally {
        if (fm.proc.exitCode === null) fm.proc.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      }
      // SIGTERM: exit 0, no filter on the interface, the programs gone from the kernel
      expect(await fm.exited).toBe(0);
      expect(fm.out).toMatch(/SIGTERM: detached from eth0, unloaded, stopped/);
      expect(filters(nsA)).toBe('');
      for (const id of progIds) expect(() => run('bpftool', ['prog', 'show', 'id', id])).toThrow();
    });
  });
});
