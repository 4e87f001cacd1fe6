/**
 * tcpconnect and tcpaccept on a connection the test makes between two namespaces (a server
 * in one, curl in the other). Default hooks: kprobes where the kernel has them, the sock and
 * syscall tracepoints here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { vethPair, type VethPairFixture } from './helpers/netns.js';
import { ToolRun } from './helpers/tool-run.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
const runs: ToolRun[] = [];
let net: VethPairFixture | undefined;
let server: ChildProcess | undefined;
const PORT = 40000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  if (noTracing) return;
  net = vethPair();
  // a server in ns1 that answers every connection and closes it
  server = spawn(
    'ip',
    [
      'netns',
      'exec',
      net.ns1,
      'node',
      '-e',
      `require('net').createServer((c) => c.end('HTTP/1.0 200 OK\\r\\n\\r\\n')).listen(${PORT}, '${net.ip1}', () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((res, rej) => {
    server?.stdout?.once('data', () => res());
    server?.once('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
});
afterAll(() => {
  server?.kill('SIGKILL');
  net?.destroy();
});
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});

/** curl from ns2 to the server; its pid. */
function connectFromNs2(): number {
  if (!net) throw new Error('no namespaces');
  const c = spawnSync('ip', [
    'netns',
    'exec',
    net.ns2,
    'curl',
    '-s',
    '-m',
    '5',
    `http://${net.ip1}:${PORT}/`,
  ]);
  return c.pid ?? -1;
}

describe.skipIf(noTracing)('tools: TCP', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  it('tcpconnect and tcpaccept show both ends of a connection between two namespaces', async () => {
    if (!net) throw new Error('no namespaces');
    const conn = ToolRun.start(['tcpconnect', '-L', '-P', String(PORT), '--verbose']);
    const acc = ToolRun.start(['tcpaccept', '-P', String(PORT), '--verbose']);
    const kprobes = fs.has('kprobes');
    // where the default is the kretprobe, the tracepoint form (the fd -> socket walk of
    // fd-socket.ts) runs next to it
    const accTp = kprobes
      ? ToolRun.start(['tcpaccept', '--attach', 'tracepoint', '-P', String(PORT), '--verbose'])
      : undefined;
    runs.push(conn, acc, ...(accTp ? [accTp] : []));
    await conn.line(/^PID\s+COMM\s+IP\s+SADDR\s+LPORT\s+DADDR\s+DPORT\s*$/);
    for (const r of [acc, accTp]) await r?.line(/^PID\s+COMM\s+IP\s+RADDR\s+RPORT\s+LADDR\s+LPORT$/);
    const curlPid = connectFromNs2();
    // ip netns exec execs curl in the process it started
    const c = (await conn.line(new RegExp(`\\s${net.ip1}\\s+${PORT}\\s*$`))).trim().split(/\s+/);
    expect([c[0], c[1], c[2], c[3], c[5], c[6]]).toEqual([
      String(curlPid),
      'curl',
      '4',
      net.ip2,
      net.ip1,
      String(PORT),
    ]);
    for (const r of [acc, accTp]) {
      if (!r) continue;
      const a = (await r.line(new RegExp(`\\s${net.ip1}\\s+${PORT}$`))).trim().split(/\s+/);
      // the server accepted curl's connection: its remote port is curl's local port
      expect([a[0], a[1], a[2], a[3], a[4], a[5], a[6]]).toEqual([
        String(server?.pid),
        'node',
        '4',
        net.ip2,
        c[4],
        net.ip1,
        String(PORT),
      ]);
    }
    expect(Number(c[4])).toBeGreaterThan(0);
    expect(await conn.interrupt()).toBe(0);
    expect(await acc.interrupt()).toBe(0);
    if (accTp) {
      expect(await accTp.interrupt()).toBe(0);
      expect(accTp.stderr).toMatch(/tracepoint syscalls:sys_exit_accept4?/);
    }
    expect(conn.stderr).toMatch(kprobes ? /kretprobe tcp_v4_connect/ : /tracepoint sock:inet_sock_set_state/);
    expect(acc.stderr).toMatch(
      kprobes ? /kretprobe inet_csk_accept/ : /tracepoint syscalls:sys_exit_accept4?/,
    );
  });

  it('tcpconnect -c counts the connections per address pair and port', async () => {
    if (!net) throw new Error('no namespaces');
    const r = ToolRun.start(['tcpconnect', '-c', '-P', String(PORT)]);
    runs.push(r);
    await r.line(/^Tracing connect \.\.\. Hit Ctrl-C to end$/);
    for (let i = 0; i < 3; i++) connectFromNs2();
    expect(await r.interrupt()).toBe(0);
    const row = r.lines.find((l) => l.startsWith(net?.ip2 ?? '-'));
    expect(row?.trim().split(/\s+/)).toEqual([net.ip2, net.ip1, String(PORT), '3']);
  });

  it('tcpconnect -d shows the name each address was looked up as (c-ares and glibc), localhost, No DNS Query', async () => {
    // a namespace of its own with a DNS server on 127.0.0.1:53 that the resolvers ask
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-dns-'));
    try {
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
      const r = ToolRun.start(['tcpconnect', '-d', '-P', String(PORT), '--verbose']);
      runs.push(r);
      await r.line(/^PID\s+COMM\s+IP\s+SADDR\s+DADDR\s+DPORT\s+QUERY$/);
      const addrs = ['10.77.0.1', '10.77.0.2', '10.77.0.3'];
      const script = [
        `mount --bind ${join(dir, 'resolv.conf')} /etc/resolv.conf`,
        'ip link set lo up',
        ...addrs.map((a) => `ip addr add ${a}/32 dev lo`),
        `exec node ${join(import.meta.dirname, 'helpers', 'dns-workload.mjs')} ${PORT} 10.77.0.3 ` +
          `cares.tsbcc.test=10.77.0.1 glibc.tsbcc.test=10.77.0.2`,
      ].join(' && ');
      const w = spawnSync('unshare', ['-nm', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
      expect(w.status, w.stderr).toBe(0);
      const { pid } = JSON.parse(w.stdout) as { pid: number };
      const want: [string, string][] = [
        ['10.77.0.1', 'cares.tsbcc.test'],
        ['10.77.0.2', 'glibc.tsbcc.test'],
        ['10.77.0.3', 'No DNS Query'],
        ['127.0.0.1', 'localhost'],
      ];
      for (const [addr, query] of want) {
        const l = (await r.line(new RegExp(`\\s${addr.replace(/\./g, '\\.')}\\s+${PORT}\\s`)))
          .trim()
          .split(/\s+/);
        expect([l[0], l[1], l[2], l[3], l[5]]).toEqual([String(pid), 'node', '4', addr, String(PORT)]);
        // BCC's column: the name, and the time since its answer when that was over 100 ms
        // (an emulated guest takes that long between lookup and connect)
        const looked = query.endsWith('.tsbcc.test');
        const shown = l.slice(6).join(' ');
        if (looked)
          expect(shown).toMatch(new RegExp(`^${query.replace(/\./g, '\\.')}( \\(\\d+\\.\\d{3}ms\\))?$`));
        else expect(shown).toBe(query);
      }
      expect(await r.interrupt()).toBe(0);
      expect(r.stderr).toMatch(/tracepoint syscalls:sys_exit_recvfrom/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tcpconnect -d with -c is refused (exit 2), as BCC refuses it', async () => {
    const { code, err } = await ToolRun.complete(['tcpconnect', '-d', '-c']);
    expect(code).toBe(2);
    expect(err).toMatch(/-d\/--dns with -c\/--count/);
  });
});
