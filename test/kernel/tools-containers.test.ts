/**
 * BCC's container filters (--cgroupmap, --mntnsmap) of opensnoop, tcpconnect and tcpaccept,
 * against processes the test puts in a cgroup v2 group or a new mount namespace it made, with
 * the pinned hash maps the filters read (filled while the tools run, as BCC documents).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BPF } from '../../src/index.js';
import { features } from '../../src/features/index.js';
import { vethPair, type VethPairFixture } from './helpers/netns.js';
import { ToolRun } from './helpers/tool-run.js';
import { waitFor } from './helpers/wait.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
const kprobes = fs.has('kprobes');
const tag = randomBytes(4).toString('hex');
const CG_MAP = `/sys/fs/bpf/tsbcc-tools-cgroupset-${tag}`;
const NS_MAP = `/sys/fs/bpf/tsbcc-tools-mntns-${tag}`;
const runs: ToolRun[] = [];
let maps: BPF | undefined;
let dir = '';
let cgroupRoot = '';
let mountedRoot = false;
let group = '';
let groupId = 0n;

/** The cgroup v2 hierarchy: where it is mounted, or a mount of our own in a temporary dir. */
function cgroup2Root(): string {
  const line = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  if (line) return line.split(' ')[1] as string;
  const d = mkdtempSync(join(tmpdir(), 'tsbcc-cgroup2-'));
  const r = spawnSync('mount', ['-t', 'cgroup2', 'none', d]);
  if (r.status !== 0) throw new Error(`cannot mount cgroup2: ${r.stderr.toString()}`);
  mountedRoot = true;
  return d;
}

beforeAll(async () => {
  if (noTracing) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-tools-ct-'));
  cgroupRoot = cgroup2Root();
  group = join(cgroupRoot, `tsbcc-tools-${tag}`);
  mkdirSync(group);
  // on cgroup v2 the id bpf_get_current_cgroup_id returns is the directory's inode number
  groupId = BigInt(spawnSync('stat', ['-c', '%i', group], { encoding: 'utf8' }).stdout.trim());
  // the maps BCC's users make with bpftool, pinned by an object the test holds to fill them
  maps = await BPF.create({
    name: 'ct_maps',
    text: `BPF_TABLE_PINNED("hash", u64, u64, cgroupset, 128, "${CG_MAP}");
BPF_TABLE_PINNED("hash", u64, u32, mount_ns_set, 128, "${NS_MAP}");`,
  });
});

afterAll(async () => {
  maps?.close();
  rmSync(CG_MAP, { force: true });
  rmSync(NS_MAP, { force: true });
  // the group empties when the processes killed in it have exited
  if (group)
    await waitFor(
      () => {
        try {
          rmdirSync(group);
          return true;
        } catch {
          return false;
        }
      },
      `${group} to be removed`,
      10_000,
    );
  if (mountedRoot) {
    spawnSync('umount', [cgroupRoot]);
    rmdirSync(cgroupRoot);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
  maps?.table<bigint, bigint>('cgroupset').clear();
  maps?.table<bigint, number>('mount_ns_set').clear();
});

/** The hook kind the tool said it attached to matches the kernel's (kprobes where present: the VM lane). */
function expectHooks(r: ToolRun, kprobeWord: RegExp, tracepointWord: RegExp): void {
  expect(r.stderr).toMatch(kprobes ? kprobeWord : tracepointWord);
}

function start(args: string[]): ToolRun {
  const r = ToolRun.start([...args, '--verbose']);
  runs.push(r);
  return r;
}

/** A shell command run from a shell that first moved itself into the test's cgroup. */
function inGroup(cmd: string): string[] {
  return ['sh', '-c', `echo $$ > ${group}/cgroup.procs && exec ${cmd}`];
}

function file(name: string): string {
  const p = join(dir, `${name}-${randomBytes(3).toString('hex')}`);
  writeFileSync(p, 'x');
  return p;
}

describe.skipIf(noTracing)('tools: container filters', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  it('opensnoop --cgroupmap shows the opens of the cgroups in the map only, read live', async () => {
    const r = start(['opensnoop', '-n', 'cat', '--cgroupmap', CG_MAP]);
    await r.line(/^PID\s+COMM\s+FD\s+ERR\s+PATH$/);
    const outside = file('outside');
    const early = file('early');
    const inside = file('inside');
    spawnSync('cat', [outside]); // not in the group
    const [sh, ...args] = inGroup(`cat ${early}`);
    spawnSync(sh as string, args); // in the group, but the group is not in the map yet
    maps?.table<bigint, bigint>('cgroupset').set(groupId, 0n);
    const [sh2, ...args2] = inGroup(`cat ${inside}`);
    const cat = spawnSync(sh2 as string, args2);
    const line = await r.line(new RegExp(`${inside}$`));
    expect(line.split(/\s+/).slice(0, 4)).toEqual([String(cat.pid), 'cat', '3', '0']);
    expect(await r.interrupt()).toBe(0);
    expect(r.lines.filter((l) => l.includes(dir))).toEqual([line]);
    expectHooks(r, /kprobe \S*sys_openat/, /tracepoint syscalls:sys_enter_openat /);
  });

  it('opensnoop --mntnsmap shows the opens of the mount namespaces in the map only', async () => {
    const r = start(['opensnoop', '-n', 'cat', '--mntnsmap', NS_MAP]);
    await r.line(/^PID\s+COMM\s+FD\s+ERR\s+PATH$/);
    const outside = file('outside');
    const inside = file('inside');
    // a shell in a new mount namespace that opens the file when told to
    const child: ChildProcess = spawn('unshare', ['-m', 'sh', '-c', `read go; exec cat ${inside}`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    try {
      const own = readlinkSync('/proc/self/ns/mnt');
      let ns = own;
      await waitFor(
        () => {
          try {
            ns = readlinkSync(`/proc/${child.pid}/ns/mnt`);
          } catch {
            // not started yet
          }
          return ns !== own;
        },
        'the child to enter its mount namespace',
        10_000,
      );
      const inum = BigInt(/^mnt:\[(\d+)\]$/.exec(ns)?.[1] ?? '0');
      maps?.table<bigint, number>('mount_ns_set').set(inum, 0);
      spawnSync('cat', [outside]); // our namespace is not in the map
      child.stdin?.end('go\n');
      const line = await r.line(new RegExp(`${inside}$`));
      expect(line.split(/\s+/).slice(0, 4)).toEqual([String(child.pid), 'cat', '3', '0']);
      expect(await r.interrupt()).toBe(0);
      expect(r.lines.filter((l) => l.includes(dir))).toEqual([line]);
      expectHooks(r, /kprobe \S*sys_openat/, /tracepoint syscalls:sys_enter_openat /);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tcpconnect and tcpaccept --cgroupmap show the connections of processes in the map only', async () => {
    let net: VethPairFixture | undefined;
    let server: ChildProcess | undefined;
    try {
      net = vethPair();
      const port = 40000 + Math.floor(Math.random() * 20000);
      // the server in the group; its accepts are traced once the group is in the map
      const [sh, ...args] = inGroup(
        `ip netns exec ${net.ns1} node -e "require('net').createServer((c) => c.end('x')).listen(${port}, '${net.ip1}', () => console.log('up'))"`,
      );
      server = spawn(sh as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res, rej) => {
        server?.stdout?.once('data', () => res());
        server?.once('exit', (c) => rej(new Error(`server exited ${c}`)));
      });
      const conn = start(['tcpconnect', '-P', String(port), '--cgroupmap', CG_MAP]);
      const acc = start(['tcpaccept', '-P', String(port), '--cgroupmap', CG_MAP]);
      await conn.line(/^PID\s+COMM\s+IP\s+SADDR\s+DADDR\s+DPORT\s*$/);
      await acc.line(/^PID\s+COMM\s+IP\s+RADDR\s+RPORT\s+LADDR\s+LPORT$/);
      const curl = (inside: boolean): number => {
        const cmd = `ip netns exec ${net?.ns2} curl -s -m 5 http://${net?.ip1}:${port}/`;
        const [c0, ...cArgs] = inside ? inGroup(cmd) : ['sh', '-c', `exec ${cmd}`];
        return spawnSync(c0 as string, cArgs).pid ?? -1;
      };
      curl(true); // group not in the map yet: neither end is shown
      maps?.table<bigint, bigint>('cgroupset').set(groupId, 0n);
      curl(false); // the client outside the group: only the server's accept is shown
      const shown = curl(true); // both ends in the group: both shown
      const c = (await conn.line(new RegExp(`\\s${net.ip1}\\s+${port}\\s*$`))).trim().split(/\s+/);
      expect([c[0], c[1], c[2], c[3], c[4]]).toEqual([String(shown), 'curl', '4', net.ip2, net.ip1]);
      await waitFor(() => acc.lines.filter((l) => l.endsWith(` ${port}`)).length >= 2, 'two accepts', 10_000);
      expect(await conn.interrupt()).toBe(0);
      expect(await acc.interrupt()).toBe(0);
      expect(conn.lines.filter((l) => l.includes(net?.ip1 ?? '-')).length).toBe(1);
      const accepts = acc.lines.filter((l) => l.endsWith(` ${port}`));
      expect(accepts.length).toBe(2);
      for (const a of accepts) expect(a.trim().split(/\s+/).slice(1, 3)).toEqual(['node', '4']);
      expectHooks(conn, /kretprobe tcp_v4_connect/, /tracepoint sock:inet_sock_set_state/);
      expectHooks(acc, /kretprobe inet_csk_accept/, /tracepoint syscalls:sys_exit_accept4?/);
    } finally {
      server?.kill('SIGKILL');
      net?.destroy();
    }
  });

  it('a path with nothing pinned is refused, naming the option and the path (exit 2)', async () => {
    const missing = `/sys/fs/bpf/tsbcc-tools-none-${tag}`;
    for (const [tool, opt] of [
      ['opensnoop', '--cgroupmap'],
      ['tcpconnect', '--mntnsmap'],
      ['tcpaccept', '--cgroupmap'],
    ] as const) {
      const r = await ToolRun.complete([tool, opt, missing]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${opt}: nothing is pinned at ${missing}`);
    }
  });
});
