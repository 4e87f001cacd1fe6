/**
 * Child process for tc-exit.test.ts: attaches a cls_bpf filter and an XDP program in the given
 * namespace, prints one JSON line, then exits normally, waits for a signal, or (mode "keep")
 * attaches with keep: true and exits without closing. Mode "closed" closes the filter when told
 * to end, just before exiting normally (its emptied owner record is then still lingering).
 */
import { attachXdp, BpfObject, compile, TcDevice } from '../../../src/index.js';
import { PASS_ALL } from './tc-programs.js';

const XDP_PASS = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`;

const [mode = 'exit', ns = '', dev = ''] = process.argv.slice(2);
const keep = mode === 'keep';
const obj = BpfObject.create(await compile(PASS_ALL));
const xobj = BpfObject.create(await compile(XDP_PASS));
const tc = await TcDevice.open({ interface: dev, netns: ns });
const filter = await tc.attachBpf(obj.loadFunc('pass_all', 'SCHED_CLS'), {
  parent: 'egress',
  name: 'exitcheck',
  keep,
});
await attachXdp(xobj.loadFunc('xdp_pass', 'XDP'), { interface: dev, netns: ns, mode: 'generic', keep });
tc.close();
console.log(JSON.stringify({ ready: true }));
if (mode === 'sigterm') setInterval(() => undefined, 1000);
// Otherwise end naturally (the event loop empties) once the parent writes a line; "closed"
// first closes the filter (its emptied owner record would linger on an unref'd timer).
else
  process.stdin.once('data', () => {
    process.stdin.destroy();
    if (mode === 'closed') void filter.close();
  });
