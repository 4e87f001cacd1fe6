/** CGROUP_ARRAY maps: cgroups for bpf_current_task_under_cgroup / skb_under_cgroup. */
import { constants } from 'node:fs';
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { Table } from './table.js';

/** A cgroup array. set() takes a cgroup directory path or an open cgroup fd. */
export class CgroupArrayTable extends Table<number, number> {
  override set(i: number, cgroup: string | number | unknown, flags?: number): this {
    if (typeof cgroup !== 'string') return super.set(i, cgroup, flags);
    let fd: number;
    try {
      fd = native().openPath(cgroup, constants.O_RDONLY);
    } catch (e) {
      throw fromNative(e, `open cgroup ${cgroup}`);
    }
    try {
      return super.set(i, fd, flags);
    } finally {
      native().closeFd(fd);
    }
  }
}
