/**
 * The distributed_bridge testbed for N hosts and one of BCC's modes. Bundled as YAML for the
 * default three hosts (simulation/testbeds/distributed_bridge*.yaml; a unit test holds the two
 * equal).
 *
 * Every host: eth0 on the underlay (172.16.1.100+i on the bridge `br-fabric`), `vxlan0` (flow
 * based, collect_metadata, no learning: tunnel keys come from the programs), and per VNI j (0
 * for 10000, 1 for 10001) a bridge `h<i>br<j>` with MAC 02:99:01:0j:00:<i>. Its tunnel ports
 * are veth ends whose peers stay unused (BCC used dummy devices):
 * - multicast: one port `vx<j>` per VNI; BUM traffic goes to the group 239.1.1.1;
 * - mesh and dhcp: one port `vx<j>h<m>` per remote host m.
 * Bridges have 99.1.j.(i+1)/24, except in dhcp mode, where they get their addresses from a
 * dnsmasq on host0, reached through a veth `dhcp<j>v1` (bridge port) / `dhcp<j>v2` (99.1.j.1).
 */
import { Topology } from '../../../src/index.js';

/** BCC's modes: multicast (tunnel.c), mesh (tunnel_mesh.c) and dhcp (mesh with DHCP addresses). */
export type BridgeMode = 'multicast' | 'mesh' | 'dhcp';

/** The two VNIs, as BCC. */
export const VNIS = [10000, 10001] as const;
/** The multicast group BUM traffic goes to (multicast mode). */
export const GROUP = '239.1.1.1';

/** Underlay address of host i. */
export const underlayIp = (i: number): string => `172.16.1.${100 + i}`;
/** The bridge of VNI index j on host i. */
export const bridgeName = (i: number, j: number): string => `h${i}br${j}`;
/** Its MAC. */
export const bridgeMac = (i: number, j: number): string =>
  `02:99:01:0${j}:00:${i.toString(16).padStart(2, '0')}`;
/** Its static address (multicast and mesh). */
export const bridgeIp = (i: number, j: number): string => `99.1.${j}.${i + 1}`;
/** The tunnel port of VNI index j (multicast) or of VNI index j towards host m (mesh). */
export const tunnelPort = (j: number, m?: number): string => (m === undefined ? `vx${j}` : `vx${j}h${m}`);

/** The testbed for `hosts` hosts (2-50) in `mode`. */
export function distributedBridgeTopology(hosts: number, mode: BridgeMode): Topology {
  const t = new Topology(mode === 'multicast' ? 'distbr' : `distbr${mode}`).bridge('br-fabric');
  for (let i = 0; i < hosts; i++) {
    const h = `host${i}`;
    t.host(h, { ipv6: false });
    t.link({ host: h, ifname: 'eth0', addresses: [`${underlayIp(i)}/24`] }, { bridge: 'br-fabric' });
    if (mode === 'multicast') {
      t.route(h, { dst: '224.0.0.0/4', dev: 'eth0' });
      t.vxlan(h, { name: 'vxlan0', vni: 0, external: true, learning: false, group: GROUP, device: 'eth0' });
    } else {
      t.vxlan(h, { name: 'vxlan0', vni: 0, external: true, learning: false, device: 'eth0' });
    }
    VNIS.forEach((_, j) => {
      const br = bridgeName(i, j);
      t.bridge(br, {
        host: h,
        mac: bridgeMac(i, j),
        ...(mode === 'dhcp' ? {} : { addresses: [`${bridgeIp(i, j)}/24`] }),
      });
      const remotes = mode === 'multicast' ? [undefined] : [...Array(hosts).keys()].filter((m) => m !== i);
      for (const m of remotes) {
        const port = tunnelPort(j, m);
        t.link({ host: h, ifname: `${port}p` }, { bridge: br, ifname: port });
      }
      if (mode === 'dhcp' && i === 0) {
        t.link(
          { host: h, ifname: `dhcp${j}v2`, addresses: [`99.1.${j}.1/24`] },
          { bridge: br, ifname: `dhcp${j}v1` },
        );
      }
    });
  }
  return t;
}
