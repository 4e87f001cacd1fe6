/**
 * Where a compile + load's resident memory goes, in one fresh process: RSS (anonymous and
 * file-backed) of bare Node, after importing tsbcc's package entry, after loading the
 * addon, and around every native call of the compile (its peak, VmHWM, reset before each
 * call through /proc/self/clear_refs), then with the program loaded. Not a comparison (run.py
 * is); it says which part of the process a peak or steady state is made of.
 * Usage: node dist/bench/compile/rss-stages.js [FILE FUNCTION TYPE]
 *   (default: test/corpus/networking/neighbor_sharing.c classify_wan SCHED_CLS)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ProgramTypeName } from 'tsbcc';

interface Status {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
}

function status(): Status {
  const text = readFileSync('/proc/self/status', 'utf8');
  const mb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) / 1024;
  return { rss: mb('VmRSS'), hwm: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') };
}

const show = (s: Status): string =>
  `RSS ${s.rss.toFixed(1)} MB (anon ${s.anon.toFixed(1)}, file ${s.file.toFixed(1)}), peak ${s.hwm.toFixed(1)}`;
/** Resets VmHWM to the current RSS. */
const resetPeak = (): void => writeFileSync('/proc/self/clear_refs', '5');

const [file = 'test/corpus/networking/neighbor_sharing.c', fn = 'classify_wan', type = 'SCHED_CLS'] =
  process.argv.slice(2);
const text = `${readFileSync(file, 'utf8')}\n// rss-stages ${Date.now()}\n`;
console.log(`bare node:        ${show(status())}`);
// the package entry, as a user's program imports it (package.json "exports")
const { compile, BpfObject } = await import('tsbcc');
console.log(`tsbcc imported:   ${show(status())}`);
// the addon tsbcc loads on its first compile (Node's require cache hands tsbcc this module)
const addonPath = fileURLToPath(new URL('../../build/Release/tsbcc.node', import.meta.resolve('tsbcc')));
const addon = createRequire(import.meta.url)(addonPath) as Record<string, unknown>;
console.log(`addon loaded:     ${show(status())}`);
for (const name of ['btfHeader', 'btfRelease', 'bccRewrite', 'clangCompile', 'compilerRelease']) {
  const call = addon[name];
  if (typeof call !== 'function') continue;
  addon[name] = (...args: unknown[]): unknown => {
    const before = status();
    resetPeak();
    const done = (v: unknown): unknown => {
      const after = status();
      console.log(
        `  ${name.padEnd(15)} before ${before.rss.toFixed(1)}, peak ${after.hwm.toFixed(1)}, after ${show(after)}`,
      );
      resetPeak();
      return v;
    };
    const r = (call as (...a: unknown[]) => unknown).apply(addon, args);
    return r instanceof Promise ? r.then(done) : done(r);
  };
}
resetPeak();
const spec = await compile({ text, name: 'rss_stages' }, { noCache: true });
console.log(`compiled:         ${show(status())}`);
const obj = BpfObject.create(spec);
obj.loadFunc(fn, type as ProgramTypeName);
console.log(`loaded:           ${show(status())}`);
obj.close();
