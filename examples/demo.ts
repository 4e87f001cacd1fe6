/**
 * The main demo (`npm start`): what this kernel offers, then a BPF socket filter compiled
 * in-process, loaded, attached inside a throwaway namespace pair, counting real pings.
 * Everything it creates is removed, also on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject, compile, PacketSocket } from '../src/index.js';
import { features } from '../src/features/index.js';
import { renderFeatureTable } from '../src/cli/doctor.js';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = here.includes(`${join('dist', 'examples')}`) ? join(here, '..', '..', 'examples') : here;

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  console.log('== tsbcc: kernel features ==');
  console.log(renderFeatureTable((await features()).list()));

  const id = randomBytes(3).toString('hex');
  const [nsA, nsB, ifA, ifB] = [`tsbcc-demo-${id}-a`, `tsbcc-demo-${id}-b`, `demo${id}a`, `demo${id}b`];
  const cleanup = (): void => {
    for (const ns of [nsA, nsB]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // not created
      }
    }
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    console.log(`\n== socket filter: counting pings from ${nsA} arriving in ${nsB} ==`);
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    ip(['-n', nsA, 'addr', 'add', '10.77.0.1/24', 'dev', ifA]);
    ip(['-n', nsB, 'addr', 'add', '10.77.0.2/24', 'dev', ifB]);
    ip(['-n', nsA, 'link', 'set', ifA, 'up']);
    ip(['-n', nsB, 'link', 'set', ifB, 'up']);

    let t = performance.now();
    const spec = await compile({ file: join(srcDir, 'socket-filter', 'echo-counter.c') });
    console.log(
      `compiled echo-counter.c in-process: ${spec.elf.length} bytes of BPF ELF in ${(performance.now() - t).toFixed(1)} ms`,
    );
    t = performance.now();
    using obj = BpfObject.create(spec);
    const prog = obj.loadFunc('count_echo', 'SOCKET_FILTER');
    console.log(`loaded ${prog.description} in ${(performance.now() - t).toFixed(1)} ms`);
    using sock = await PacketSocket.open({ netns: nsB, interface: ifB });
    const link = sock.attach(prog);
    execFileSync('ip', ['netns', 'exec', nsA, 'ping', '-c', '5', '-i', '0.1', '-q', '10.77.0.2'], {
      stdio: 'inherit',
    });
    for (const key of obj.map('echo_requests').keys()) {
      const count = obj.map('echo_requests').lookup(key)?.readBigUInt64LE(0);
      console.log(`echo requests from ${[...key].join('.')}: ${count}`);
    }
    await link.close();
  } finally {
    cleanup();
  }
  console.log('\nremoved the namespaces, the filter and the program.');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
