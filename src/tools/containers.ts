/**
 * BCC's container filters (--cgroupmap, --mntnsmap) for the tools that have them: the tool
 * traces only processes whose cgroup v2 id, or whose mount namespace's inode number, is a key
 * of a hash map pinned in bpffs by someone else (`bpftool map create ... type hash key 8`).
 * Keys can be added and removed while the tool runs. Unlike BCC, a path with nothing pinned is
 * refused rather than created, so the tool leaves no pin behind.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';

/** The options the filters add. */
export interface ContainerOptions {
  /** Pinned hash map (u64 cgroup id -> any 8 bytes) of the cgroups to trace. */
  cgroupmap?: string;
  /** Pinned hash map (u64 mount namespace inode -> any 4 bytes) of the namespaces to trace. */
  mntnsmap?: string;
}

/** Adds --cgroupmap and --mntnsmap with BCC's wording. */
export function addContainerOptions(cmd: Command): void {
  cmd
    .option('--cgroupmap <path>', 'trace cgroups in this BPF map only')
    .option('--mntnsmap <path>', 'trace mount namespaces in this BPF map only');
}

/** A C string literal of a path (quotes and backslashes refused: bpffs names never need them). */
function cPath(option: string, path: string): string {
  if (/["\\\n]/.test(path)) throw new InvalidArgumentError(`${option}: bad path ${JSON.stringify(path)}`);
  if (!existsSync(path))
    throw new InvalidArgumentError(
      `${option}: nothing is pinned at ${path} (create it first, e.g. bpftool map create ${path} type hash key 8 value 8 entries 128 name cgroupset)`,
    );
  return path;
}

/**
 * The C declarations of the filters, to put before the tool's functions, and the statement
 * that drops an event of a process the filters exclude (empty when there are none), for a
 * function returning int.
 * @throws InvalidArgumentError when a given path has nothing pinned (checked unless `ebpf`).
 */
export function containerFilter(o: ContainerOptions, ebpf = false): { decls: string; check: string } {
  if (o.cgroupmap === undefined && o.mntnsmap === undefined) return { decls: '', check: '' };
  const path = (opt: string, p: string): string => (ebpf ? p : cPath(opt, p));
  const parts: string[] = [];
  const tests: string[] = [];
  if (o.cgroupmap !== undefined) {
    parts.push(`BPF_TABLE_PINNED("hash", u64, u64, cgroupset, 1024, "${path('--cgroupmap', o.cgroupmap)}");

static inline int cgroup_filtered(void)
{
    u64 id = bpf_get_current_cgroup_id();
    return cgroupset.lookup(&id) == NULL;
}`);
    tests.push('cgroup_filtered()');
  }
  if (o.mntnsmap !== undefined) {
    parts.push(`BPF_TABLE_PINNED("hash", u64, u32, mount_ns_set, 1024, "${path('--mntnsmap', o.mntnsmap)}");

static inline int mntns_filtered(void)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct nsproxy *nsproxy = NULL;
    struct mnt_namespace *mnt_ns = NULL;
    unsigned int inum = 0;
    if (bpf_probe_read_kernel(&nsproxy, sizeof(nsproxy), &task->nsproxy) || nsproxy == NULL)
        return 0;
    if (bpf_probe_read_kernel(&mnt_ns, sizeof(mnt_ns), &nsproxy->mnt_ns) || mnt_ns == NULL)
        return 0;
    if (bpf_probe_read_kernel(&inum, sizeof(inum), &mnt_ns->ns.inum))
        return 0;
    u64 key = inum;
    return mount_ns_set.lookup(&key) == NULL;
}`);
    tests.push('mntns_filtered()');
  }
  return {
    decls: `${parts.join('\n\n')}\n`,
    check: `if (${tests.join(' || ')}) return 0;`,
  };
}
