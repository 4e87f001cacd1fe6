/**
 * Child process for load-signals.test.ts, run as `node --cpu-prof --cpu-prof-interval N ...`, so
 * that V8's profiler sends the JS thread a SIGPROF every N microseconds. Args: a C file, its
 * program's name, how many loads. Compiles the file, then loads the program that many times
 * (each a full bpf_object__load whose verification takes longer than the profiler's interval)
 * and prints one JSON line: { ok, errors }. Plain node on the built modules (dist/).
 */
import { compile } from '../../../dist/src/compiler/compile.js';
import { BpfObject } from '../../../dist/src/core/bpf-object.js';

const [file = '', program = '', loads = '3'] = process.argv.slice(2);
const spec = await compile({ file });
let ok = 0;
const errors = [];
for (let i = 0; i < Number(loads); i++) {
  const obj = BpfObject.create(spec);
  try {
    obj.loadFunc(program, 'TRACEPOINT');
    ok++;
  } catch (e) {
    errors.push(`${e.code} errno ${e.errno}: ${String(e.message).split('\n')[0]}`);
  } finally {
    obj.close();
  }
}
process.stdout.write(`${JSON.stringify({ ok, errors })}\n`);
