/**
 * bench/tc: iperf3 TCP throughput through a veth pair between two fresh namespaces, with no
 * filter vs with a trivial direct-action classifier (TC_ACT_OK) on the sender's egress and the
 * receiver's ingress. Runs alternate (none, filter, none, filter, ...) to spread noise evenly;
 * prints the medians and the overhead ratio.
 * Run: `npx vite-node bench/tc/throughput.ts` (options: --reps 5 --seconds 4).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { BpfObject, compile, TcDevice, type TcFilterLink } from '../../src/index.js';

const execFileP = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
};
const reps = opt('reps', 5);
const seconds = opt('seconds', 4);

const PASS = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
SEC("tc") int pass_all(struct __sk_buff *skb) { return TC_ACT_OK; }
char LICENSE[] SEC("license") = "GPL";
`;

const sh = (cmd: string, a: string[]): string => execFileSync(cmd, a, { encoding: 'utf8' });
const id = randomBytes(3).toString('hex');
const ns1 = `tsbcc-bench-tp-${id}-a`;
const ns2 = `tsbcc-bench-tp-${id}-b`;
const if1 = `vt${id}a`;
const if2 = `vt${id}b`;

async function iperf(port: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', ns2, 'iperf3', '-s', '-1', '-p', String(port)], {
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 5000;
    while (sh('ip', ['netns', 'exec', ns2, 'ss', '-ltnH', `sport = :${port}`]).trim() === '') {
      if (Date.now() > deadline) throw new Error('iperf3 server did not start');
      await new Promise((r) => setImmediate(r));
    }
    const { stdout } = await execFileP(
      'ip',
      ['netns', 'exec', ns1, 'iperf3', '-c', '10.77.0.2', '-p', String(port), '-t', String(seconds), '-J'],
      { maxBuffer: 16 << 20 },
    );
    return (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
      .bits_per_second;
  } finally {
    if (server.exitCode === null) server.kill();
  }
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

sh('ip', ['netns', 'add', ns1]);
sh('ip', ['netns', 'add', ns2]);
try {
  sh('ip', ['link', 'add', if1, 'netns', ns1, 'type', 'veth', 'peer', 'name', if2, 'netns', ns2]);
  sh('ip', ['-n', ns1, 'addr', 'add', '10.77.0.1/24', 'dev', if1]);
  sh('ip', ['-n', ns2, 'addr', 'add', '10.77.0.2/24', 'dev', if2]);
  for (const [ns, dev] of [
    [ns1, if1],
    [ns2, if2],
    [ns1, 'lo'],
    [ns2, 'lo'],
  ] as const)
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  const obj = BpfObject.create(await compile(PASS));
  const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
  const d1 = await TcDevice.open({ interface: if1, netns: ns1 });
  const d2 = await TcDevice.open({ interface: if2, netns: ns2 });
  const none: number[] = [];
  const withFilter: number[] = [];
  let port = 5400;
  for (let i = 0; i < reps; i++) {
    none.push(await iperf(port++));
    const links: TcFilterLink[] = [
      await d1.attachBpf(prog, { parent: 'egress', name: 'bench' }),
      await d2.attachBpf(prog, { parent: 'ingress', name: 'bench' }),
    ];
    withFilter.push(await iperf(port++));
    for (const l of links) await l.close();
  }
  d1.close();
  d2.close();
  obj.close();
  const a = median(none);
  const b = median(withFilter);
  console.log(`iperf3 TCP ${seconds} s through a veth, ${reps} alternating runs each (median)`);
  console.log('| setup | throughput | ratio |');
  console.log('| --- | --- | --- |');
  console.log(`| no filter | ${(a / 1e9).toFixed(2)} Gbit/s | 1.00 |`);
  console.log(
    `| trivial direct-action classifier (egress + ingress) | ${(b / 1e9).toFixed(2)} Gbit/s | ${(b / a).toFixed(2)} (${(((a - b) / a) * 100).toFixed(1)}% overhead) |`,
  );
  console.log(
    `runs (Gbit/s): none ${none.map((x) => (x / 1e9).toFixed(2)).join(' ')}; filter ${withFilter.map((x) => (x / 1e9).toFixed(2)).join(' ')}`,
  );
} finally {
  sh('ip', ['netns', 'del', ns1]);
  sh('ip', ['netns', 'del', ns2]);
}
