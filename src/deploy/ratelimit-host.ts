/** What `tsbcc ratelimit` checks on the host before it changes anything: interfaces and their IPv6. */
import { listAddresses } from '../netlink/address.js';
import { listLinks } from '../netlink/link.js';
import { NetlinkSocket } from '../netlink/socket.js';
import { netnsPath, type NetnsRef } from '../util/netns-path.js';
import { checkPolicyOnHost, type HostInterface, type RatePolicy } from './ratelimit-policy.js';

/** The interfaces of a namespace (the current one without `netns`), with whether each has IPv6. */
export async function hostInterfaces(netns?: NetnsRef): Promise<HostInterface[]> {
  const sock = await NetlinkSocket.open(netns === undefined ? '' : netnsPath(netns));
  try {
    const links = await listLinks(sock);
    const addrs = await listAddresses(sock);
    return links.map((l) => ({
      name: l.name,
      ipv6: addrs.some((a) => a.index === l.index && a.address.includes(':')),
    }));
  } finally {
    sock.close();
  }
}

/**
 * Checks a parsed policy against the namespace it is for (read-only).
 * @throws PolicyError for unknown interfaces and IPv6 prefixes on interfaces without IPv6.
 */
export async function checkPolicyHere(policy: RatePolicy, netns?: NetnsRef): Promise<void> {
  checkPolicyOnHost(policy, await hostInterfaces(netns), netns === undefined ? 'here' : `in ${netns}`);
}
