/**
 * bench/topology/phases: where the time of one N-host bridge testbed goes (tsbcc only): the
 * time at which each phase of Network.up finished, and teardown, with the process's CPU time
 * (user + system: netlink requests run in the sender's system calls, so this is the work done,
 * whatever the machine's load) and the process's peak RSS. Not a
 * comparison; the growth and profile aid of bench/topology/bridge-hosts.ts.
 * Run: `node dist/bench/topology/phases.js [--n 1000]`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Network, Topology } from '../../src/index.js';

const args = process.argv.slice(2);
const i = args.indexOf('--n');
const n = i >= 0 ? Number(args[i + 1]) : 1000;
const addr = (k: number): string => `10.${99 + ((k + 1) >> 16)}.${((k + 1) >> 8) & 255}.${(k + 1) & 255}`;
// A Linux bridge holds at most 1023 ports: N > 1000 hosts go on ceil(N / 1000) bridges of the
// fabric, 1000 each.
const PER_BRIDGE = 1000;
const t = new Topology();
for (let b = 0; b * PER_BRIDGE < n; b++) t.bridge(`br${b}`);
for (let k = 0; k < n; k++)
  t.host(`h${k}`).link(
    { host: `h${k}`, addresses: [`${addr(k)}/16`] },
    { bridge: `br${Math.floor(k / PER_BRIDGE)}` },
  );
const cpu = (c: NodeJS.CpuUsage): string =>
  `${((c.user + c.system) / 1000).toFixed(0)} ms CPU (${(c.system / 1000).toFixed(0)} sys)`;
const c0 = process.cpuUsage();
const prefix = `bp${randomBytes(3).toString('hex')}`;
const first = new Map<string, number>();
const last = new Map<string, number>();
const t0 = performance.now();
const net = await Network.up(t, {
  prefix,
  onProgress: (e) => {
    const now = performance.now() - t0;
    if (!first.has(e.phase)) first.set(e.phase, now);
    last.set(e.phase, now);
  },
});
const up = performance.now() - t0;
const cUp = process.cpuUsage(c0);
const t1 = performance.now();
const c1 = process.cpuUsage();
await net.destroy();
const down = performance.now() - t1;
const cDown = process.cpuUsage(c1);
for (const [phase, end] of last)
  console.log(`${phase}: first ${first.get(phase)?.toFixed(0)} ms, last ${end.toFixed(0)} ms`);
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `N=${n} up ${up.toFixed(0)} ms, ${cpu(cUp)}; down ${down.toFixed(0)} ms, ${cpu(cDown)}; ` +
    `peak RSS ${hwm.toFixed(0)} MB; load ${load}`,
);
