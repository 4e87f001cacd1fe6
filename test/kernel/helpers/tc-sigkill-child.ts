/**
 * Child process for tc-sigkill.test.ts. Args: mode netns interface killAt.
 * - attach: attaches a cls_bpf filter on the interface's ingress (adding clsact);
 * - create: RateLimit.create on ingress with htb (an ifb device, clsact, a mirred redirect
 *   filter, htb on the ifb and its class);
 * - close: makes that RateLimit (unarmed), prints `ready`, then closes it.
 * The step counter wraps the addon's netlink transactions (on the thread pool, and on the JS
 * thread, where TcDevice's default makes short requests): before the killAt-th transaction
 * of the armed phase the child prints `pause K <operation>` and waits, so the parent can SIGKILL
 * it between any two kernel requests; when the phase ends first it prints `done N` (N
 * transactions) and waits. The parent always ends it with SIGKILL.
 */
// Only the modules it needs (not the entry point): each child starts faster.
import { compile } from '../../../src/compiler/compile.js';
import { BpfObject } from '../../../src/core/bpf-object.js';
import { features } from '../../../src/features/probe.js';
import { RateLimit } from '../../../src/recipes/rate-limit.js';
import { TcDevice } from '../../../src/tc/device.js';
import { native } from '../../../src/native.js';
import { PASS_ALL } from './tc-programs.js';

const [mode = 'attach', netns = '', iface = '', killAtArg = '0'] = process.argv.slice(2);
const killAt = Number(killAtArg);
setInterval(() => undefined, 1000); // alive until killed

let armed = false;
let count = 0;
const addon = native() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
for (const name of ['netlinkTransact', 'netlinkTransactIn']) {
  const real = addon[name];
  if (!real) throw new Error(`the addon has no ${name}`);
  addon[name] = (...args: unknown[]): Promise<unknown> => {
    if (armed && ++count === killAt) {
      process.stdout.write(`pause ${count} ${name}\n`);
      return new Promise(() => undefined);
    }
    return real(...args);
  };
}
// TcDevice's default ('auto') makes short requests on the JS thread: the same stop, blocking.
const realSync = addon.netlinkTransactSync as unknown as (...args: unknown[]) => unknown;
if (!realSync) throw new Error('the addon has no netlinkTransactSync');
addon.netlinkTransactSync = ((...args: unknown[]): unknown => {
  if (armed && ++count === killAt) {
    process.stdout.write(`pause ${count} netlinkTransactSync\n`); // (a pipe: written at once)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until the SIGKILL
  }
  return realSync(...args);
}) as unknown as (typeof addon)[string];

await features(); // its probes are not part of the measured phase
const limit = (): Promise<RateLimit> =>
  RateLimit.create({ interface: iface, netns, direction: 'ingress', rate: '10mbit', strategy: 'htb' });

if (mode === 'attach') {
  const obj = BpfObject.create(await compile(PASS_ALL));
  const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
  armed = true;
  const dev = await TcDevice.open({ interface: iface, netns });
  await dev.attachBpf(prog, { parent: 'ingress', name: 'sigkill' });
} else if (mode === 'create') {
  await compile(PASS_ALL); // warm the compiler cache like the other modes
  armed = true;
  await limit();
} else {
  const rl = await limit();
  process.stdout.write(`ready ${rl.strategy}\n`);
  armed = true;
  await rl.close();
}
process.stdout.write(`done ${count}\n`);
