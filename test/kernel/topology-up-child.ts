/**
 * Child process for the crash test: brings up a large testbed and reports progress on stdout
 * so the parent can SIGKILL it mid-`up`. Args: prefix stateDir hosts.
 */
import { Network, Topology } from '../../src/topology/index.js';

const [prefix = 'tchild', stateDir = '/tmp/tsbcc-state', n = '40'] = process.argv.slice(2);
const t = new Topology().bridge('br0');
for (let i = 0; i < Number(n); i++)
  t.host(`h${i}`).link(
    { host: `h${i}`, addresses: [`10.7.${i >> 8}.${(i & 255) + 1}/16`] },
    { bridge: 'br0' },
  );
await Network.up(t, {
  prefix,
  stateDir,
  concurrency: 1,
  onProgress: (e) => process.stdout.write(`${e.phase} ${e.done}/${e.total}\n`),
});
process.stdout.write('up\n');
// stay alive until killed
setInterval(() => undefined, 1000);
