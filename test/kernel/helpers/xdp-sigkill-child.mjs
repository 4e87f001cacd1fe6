/**
 * Child process for xdp-sigkill.test.ts. Args: netns interface. Attaches an XDP program (generic
 * mode) to the interface, prints `attached <program id>` and waits to be SIGKILLed, so its
 * program stays attached with no exit handler run: only its owner record knows about it.
 * Plain node on the built modules (dist/, which bootstrap builds): vite-node starts ~10x slower,
 * over a minute under the 6.1 guest's emulation.
 */
import { setInterval } from 'node:timers';
import { compile } from '../../../dist/src/compiler/compile.js';
import { BpfObject } from '../../../dist/src/core/bpf-object.js';
import { attachXdp } from '../../../dist/src/xdp/xdp.js';

const [netns = '', iface = ''] = process.argv.slice(2);
setInterval(() => undefined, 1000); // alive until killed

const XDP_PASS = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int sigkill_pass(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`;

const obj = BpfObject.create(await compile(XDP_PASS));
const prog = obj.loadFunc('sigkill_pass', 'XDP');
await attachXdp(prog, { interface: iface, netns, mode: 'generic' });
process.stdout.write(`attached ${prog.id}\n`);
