/**
 * Finding and removing tsbcc's own cls_bpf filters on an interface (those whose name carries
 * the "tsbcc:" prefix) — what `tsbcc tc ls` and `tsbcc tc clean` do, e.g. for filters a process
 * left behind with keep: true. Filters made by anything else are never touched.
 */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { transactIn } from '../netlink/socket.js';
import { filterRequest } from '../netlink/tc/filter.js';
import { TcDevice, type TcDeviceOptions } from './device.js';
import type { FilterInfo } from './filter-list.js';

/**
 * Lists the filters on the interface — its ingress and egress hooks, every qdisc and every
 * class — all of them, or only tsbcc's.
 * @throws InvalidArgumentError for an unknown interface or namespace.
 */
export async function listTcFilters(opts: TcDeviceOptions & { all?: boolean }): Promise<FilterInfo[]> {
  const dev = await TcDevice.open(opts);
  try {
    const list = await dev.filters();
    return opts.all ? list : list.filter((f) => f.ours);
  } finally {
    dev.close();
  }
}

/**
 * Removes tsbcc's filters from the interface (its hooks, qdiscs and classes); returns what it
 * removed. The clsact qdisc stays (tsbcc cannot tell who added it).
 * @throws InvalidArgumentError for an unknown interface; NetlinkError when a removal is refused.
 */
export async function removeTsbccFilters(opts: TcDeviceOptions): Promise<FilterInfo[]> {
  const dev = await TcDevice.open(opts);
  try {
    const ours = (await dev.filters()).filter((f) => f.ours);
    const requests = ours.map((f) => ({
      message: filterRequest('delete', dev.ifindex, f),
      operation: `delete filter ${f.name ?? ''} on ${dev.description}`,
    }));
    const results = await transactIn(dev.nsPath, requests);
    const failed = results.find(
      (r): r is NetlinkError => r instanceof NetlinkError && r.errno !== ERRNO.ENOENT,
    );
    if (failed) throw failed;
    return ours;
  } finally {
    dev.close();
  }
}
