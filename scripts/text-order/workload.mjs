// The compile workload whose executed functions decide the addon's text order (run by
// scripts/text-order/run.sh under callgrind). Usage: node workload.mjs PACKAGE_ROOT
// It compiles (no object cache) and loads programs that cover the compiler's paths: packet
// parsing (tc, socket filter), a tracepoint with a hash, CO-RE kernel reads (the forked
// codegen), kprobe argument rewriting, and table methods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? process.cwd();
const { native } = await import(join(root, 'dist/src/native.js'));
const { compile } = await import(join(root, 'dist/src/compiler/compile.js'));
const { BpfObject } = await import(join(root, 'dist/src/core/bpf-object.js'));

const programs = [
  ['test/corpus/networking/neighbor_sharing.c', 'classify_wan', 'SCHED_CLS'],
  ['test/corpus/tracing/tp_switch.c', 'tracepoint__sched__sched_switch', 'TRACEPOINT'],
  ['test/corpus/socket/socket_filter.c', 'dns_only', 'SOCKET_FILTER'],
  ['test/corpus/networking/tunnel_monitor.c', 'handle_outer', 'SCHED_CLS'],
  ['test/corpus/tracing/current_task.c', 'tracepoint__sched__sched_process_exec', 'TRACEPOINT'],
  ['test/corpus/tracing/kprobe_args.c', 'kprobe__tcp_v4_connect', 'KPROBE'],
];

native();
for (const [file, fn, type] of programs) {
  const text = `${readFileSync(join(root, file), 'utf8')}\n// text-order ${Date.now()}\n`;
  const spec = await compile({ text, name: 'text_order' }, { noCache: true });
  const obj = BpfObject.create(spec);
  try {
    obj.loadFunc(fn, type);
  } catch (e) {
    // a kernel without kprobes refuses the load; the compile already ran
    console.log(`${fn}: not loaded (${e.message.split('\n')[0]})`);
  } finally {
    obj.close();
  }
}
