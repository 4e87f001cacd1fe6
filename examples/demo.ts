/**
 * The main demo (`npm start`): what this kernel offers, then a testbed of two hosts built by
 * the topology simulator, and a BPF socket filter compiled in-process, loaded and attached in
 * one host, counting the pings the other sends. Everything it creates is removed, also on
 * Ctrl-C (the testbed and the program are registered for cleanup at exit). Then the
 * neighbor_sharing example: per-IP rate limiting measured with iperf3.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject, compile, features, Network, PacketSocket, Topology } from '../src/index.js';
import { renderFeatureTable } from '../src/cli/doctor.js';
import { runNeighborSharing } from './networking/neighbor_sharing/neighbor_sharing.js';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = here.includes(join('dist', 'examples')) ? join(here, '..', '..', 'examples') : here;

async function main(): Promise<void> {
  console.log('== tsbcc: kernel features ==');
  console.log(renderFeatureTable((await features()).list()));

  const topology = new Topology('demo').hosts('alice', 'bob');
  topology.link(
    { host: 'alice', ifname: 'eth0', addresses: ['10.77.0.1/24'] },
    { host: 'bob', ifname: 'eth0', addresses: ['10.77.0.2/24'] },
  );
  await Network.run(topology, async (net) => {
    console.log(
      `\n== socket filter: counting pings from alice (${net.nsName('alice')}) at bob (${net.nsName('bob')}) ==`,
    );
    let t = performance.now();
    const spec = await compile({ file: join(srcDir, 'socket-filter', 'echo-counter.c') });
    console.log(
      `compiled echo-counter.c in-process: ${spec.elf.length} bytes of BPF ELF in ${(performance.now() - t).toFixed(1)} ms`,
    );
    t = performance.now();
    using obj = BpfObject.create(spec);
    const prog = obj.loadFunc('count_echo', 'SOCKET_FILTER');
    console.log(`loaded ${prog.description} in ${(performance.now() - t).toFixed(1)} ms`);
    using sock = await PacketSocket.open({ netns: net.nsName('bob'), interface: 'eth0' });
    const link = sock.attach(prog);
    const ping = await net.exec('alice', ['ping', '-c', '5', '-i', '0.1', '-q', '10.77.0.2']);
    console.log(ping.stdout.trim());
    const counts = obj.map('echo_requests');
    for (const key of counts.keys()) {
      console.log(`echo requests from ${[...key].join('.')}: ${counts.lookup(key)?.readBigUInt64LE(0)}`);
    }
    await link.close();
  });
  console.log('\nremoved the testbed, the filter and the program.');

  console.log('\n== neighbor_sharing: per-IP rate limiting of neighbours sharing an uplink ==');
  const r = await runNeighborSharing({ mode: { kind: 'duration', seconds: 3 }, log: (l) => console.log(l) });
  console.log(r.summary.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
