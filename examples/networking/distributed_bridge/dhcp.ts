/**
 * distributed_bridge's dhcp mode, as BCC's: a dnsmasq on host0 serves each VNI's subnet through a
 * veth on that VNI's bridge, and every host's bridge asks for its address with a DHCP client
 * (dhclient, or busybox's udhcpc). The client's script only sets the address: nothing on the
 * machine (resolv.conf, routes) changes. Scripts and lease files live in a temporary directory
 * that stop() removes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsbccError, type HostProcess } from '../../../src/index.js';
import type { Simulation } from '../../../simulation/index.js';

/** The DHCP client found on this machine. */
export type DhcpClient = 'dhclient' | 'udhcpc';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What dhcp mode needs on this machine, or why it cannot run. */
export function dhcpTools(): { client: DhcpClient } | { missing: string } {
  if (!onPath('dnsmasq'))
    return { missing: 'dnsmasq is not installed (bash scripts/bootstrap.sh installs dnsmasq-base)' };
  if (onPath('dhclient')) return { client: 'dhclient' };
  if (onPath('udhcpc')) return { client: 'udhcpc' };
  return {
    missing:
      'no DHCP client (dhclient or udhcpc) is installed (bash scripts/bootstrap.sh installs isc-dhcp-client)',
  };
}

// dhclient passes $reason and new_*/old_* variables; udhcpc passes the event as $1 and $ip/$mask.
const CLIENT_SCRIPT = `#!/bin/sh
# tsbcc distributed_bridge: set the leased address on the interface, nothing else.
if [ -n "\${reason:-}" ]; then
  case "$reason" in
    BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
    EXPIRE|FAIL|RELEASE|STOP) [ -n "\${old_ip_address:-}" ] && ip addr del "$old_ip_address/$old_subnet_mask" dev "$interface" ;;
  esac
else
  case "$1" in
    bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
    deconfig) ip -4 addr flush dev "$interface" ;;
  esac
fi
exit 0
`;

/** Running DHCP servers and clients; stop() ends them and removes their files. */
export interface DhcpRun {
  client: DhcpClient;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq on `serverHost` for each `{ serverIf, subnet }` and a client on each
 * `{ host, ifname }`.
 * @throws TsbccError when dnsmasq or a DHCP client is missing.
 */
export function startDhcp(
  sim: Simulation,
  servers: Array<{ host: string; ifname: string; subnet: string }>,
  clients: Array<{ host: string; ifname: string }>,
): DhcpRun {
  const tools = dhcpTools();
  if ('missing' in tools) throw new TsbccError(`dhcp mode: ${tools.missing}`, 'ENOTOOL');
  const dir = mkdtempSync(join(tmpdir(), 'tsbcc-distbr-dhcp-'));
  const script = join(dir, 'client-script');
  writeFileSync(script, CLIENT_SCRIPT);
  chmodSync(script, 0o755);
  const procs: HostProcess[] = [];
  try {
    servers.forEach((s, n) => {
      const base = s.subnet.replace(/\.0$/, '');
      procs.push(
        sim.net.spawn(
          s.host,
          [
            'dnsmasq',
            '--keep-in-foreground',
            '--no-daemon',
            '--conf-file=/dev/null',
            '--port=0', // DHCP only: no DNS server, and none offered to the clients
            '--bind-interfaces',
            `--interface=${s.ifname}`,
            '--except-interface=lo',
            `--dhcp-range=${base}.2,${base}.254,255.255.255.0,12h`,
            '--dhcp-authoritative',
            `--dhcp-leasefile=${join(dir, `leases${n}`)}`,
            `--pid-file=${join(dir, `dnsmasq${n}.pid`)}`,
            '--user=root',
          ],
          { output: 'ignore' },
        ),
      );
    });
    for (const c of clients) {
      const tag = `${c.host}-${c.ifname}`;
      const argv =
        tools.client === 'dhclient'
          ? [
              'dhclient',
              '-d',
              '-sf',
              script,
              '-lf',
              join(dir, `${tag}.lease`),
              '-pf',
              join(dir, `${tag}.pid`),
              c.ifname,
            ]
          : ['udhcpc', '-f', '-i', c.ifname, '-s', script, '-t', '20', '-T', '1'];
      procs.push(sim.net.spawn(c.host, argv, { output: 'ignore' }));
    }
  } catch (e) {
    void Promise.all(procs.map((p) => p.stop())).finally(() => rmSync(dir, { recursive: true, force: true }));
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    client: tools.client,
    stop: () =>
      (stopped ??= (async () => {
        await Promise.all(procs.map((p) => p.stop()));
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
