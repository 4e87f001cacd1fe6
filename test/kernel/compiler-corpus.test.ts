/**
 * The BCC-C corpus: every program compiles and every function loads into this kernel's
 * verifier with the type its name implies (or the file's `// load: TYPE` default).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { machineFacts } from '../../src/compiler/machine.js';
import { BpfObject } from '../../src/core/bpf-object.js';
import { ProgramType, isProgramTypeName } from '../../src/core/program-type.js';
import { features } from '../../src/features/index.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const DIRS = ['networking', 'tracing', 'socket', 'xdp', 'usdt'];
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-corpus-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const files = DIRS.flatMap((d) =>
  readdirSync(join(CORPUS, d))
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(d, f)),
);

function defaultType(text: string, dir: string): string | undefined {
  const m = /^\/\/ load: (\w+)/m.exec(text);
  if (m) return m[1] === 'none' ? undefined : m[1];
  return dir === 'networking' ? 'SCHED_CLS' : undefined;
}

describe('BCC-C corpus loads into the verifier', () => {
  for (const file of files) {
    it(file, async (ctx) => {
      const path = join(CORPUS, file);
      const text = readFileSync(path, 'utf8');
      const usdt = [...text.matchAll(/^\/\/ usdt: (\S+) (\S+)=(\w+)$/gm)].map((m) => ({
        path: m[1] ?? '',
        probes: [{ probe: m[2] ?? '', fnName: m[3] ?? '' }],
      }));
      if (usdt.some((u) => !existsSync(u.path))) {
        console.log(
          `${file}: skipped: USDT binary ${usdt.map((u) => u.path).join(', ')} not on this machine`,
        );
        ctx.skip();
      }
      const spec = await compile({ file: path }, { cacheDir: cache, usdt });
      expect(spec.dialect).toBe('bcc');
      expect(spec.programs.length).toBeGreaterThan(0);
      const fallback = defaultType(text, file.split('/')[0] ?? '');
      const feats = await features();
      const obj = BpfObject.create(spec);
      let loaded = 0;
      const skipped: string[] = [];
      try {
        for (const p of spec.programs) {
          const needsTrampoline =
            (p.type === ProgramType.TRACING && p.attachKind !== 'iter') || p.type === ProgramType.LSM;
          if (needsTrampoline && !feats.has('fentry')) {
            skipped.push(`${p.name} (fentry/trampolines missing on this kernel)`);
            continue;
          }
          let type: number | undefined = p.type;
          if (type === undefined && fallback && isProgramTypeName(fallback)) type = ProgramType[fallback];
          if (type === undefined) {
            skipped.push(`${p.name} (no type)`);
            continue;
          }
          const opts = p.expectedAttachType !== undefined ? { expectedAttachType: p.expectedAttachType } : {};
          const prog = obj.loadFunc(p.name, type, opts);
          expect(prog.closed).toBe(false);
          loaded++;
        }
      } finally {
        obj.close();
      }
      if (skipped.length) console.log(`${file}: not loaded: ${skipped.join(', ')}`);
      if (loaded === 0) ctx.skip();
    });
  }
});

describe('BCC semantics of the compiled maps and programs', () => {
  it('maps_all: kinds, sizes and BCC special cases', async () => {
    const spec = await compile({ file: join(CORPUS, 'networking', 'maps_all.c') }, { cacheDir: cache });
    const m = (n: string) => {
      const x = spec.maps.find((y) => y.name === n);
      if (!x) throw new Error(`map ${n} missing`);
      return x;
    };
    const { possibleCpus } = machineFacts();
    expect(m('h1')).toMatchObject({ type: 1, keySize: 8, valueSize: 8, maxEntries: 10240 });
    expect(m('h3')).toMatchObject({ type: 1, keySize: 8, valueSize: 16, maxEntries: 10240 });
    expect(m('h4').maxEntries).toBe(128);
    expect(m('a1')).toMatchObject({ type: 2, keySize: 4, valueSize: 8, maxEntries: 10240 });
    expect(m('hist_int')).toMatchObject({ type: 2, maxEntries: 64, kind: 'histogram' });
    expect(m('hist_key')).toMatchObject({ type: 1, maxEntries: 32 });
    expect(m('lpm')).toMatchObject({ type: 11, flags: 1 });
    expect(m('lru')).toMatchObject({ type: 9 });
    expect(m('stacks')).toMatchObject({ type: 7, maxEntries: 128, valueSize: 127 * 8 });
    expect(m('perf_events')).toMatchObject({ type: 4, maxEntries: possibleCpus });
    expect(m('ring')).toMatchObject({ type: 27, maxEntries: 4 * 4096, keySize: 0, valueSize: 0 });
    expect(m('q')).toMatchObject({ type: 22, keySize: 0, valueSize: 4 });
    expect(m('st')).toMatchObject({ type: 23 });
    expect(m('outer_arr')).toMatchObject({ type: 12, innerMap: 'inner_tmpl' });
    expect(m('outer_hash')).toMatchObject({ type: 13, innerMap: 'inner_tmpl' });
    expect(m('sk_store')).toMatchObject({ type: 24, flags: 1 });
    expect(m('public_tbl').shared).toBe(true);
    expect(m('shared_tbl').shared).toBe(true);
    // key/value layouts from BTF
    expect(m('h3').key).toMatchObject({
      kind: 'struct',
      name: 'struct key_t',
      size: 8,
      fields: [
        { name: 'a', offset: 0 },
        { name: 'b', offset: 4 },
        { name: 'c', offset: 6 },
      ],
    });
    // event layouts captured from perf_submit / ringbuf_output
    expect(spec.eventFields?.perf_events).toEqual(['len#u32', 'ifindex#u32', 'tag#char[4]']);
    expect(spec.events?.ring).toMatchObject({ kind: 'struct', name: 'struct ev_t', size: 12 });
  });

  it('names: types, attach targets and kernel names by convention', async () => {
    const spec = await compile({ file: join(CORPUS, 'tracing', 'kprobe_args.c') }, { cacheDir: cache });
    const p = (n: string) => spec.programs.find((x) => x.name === n);
    expect(p('kprobe__tcp_v4_connect')).toMatchObject({
      type: ProgramType.KPROBE,
      attachTarget: 'tcp_v4_connect',
      kernelName: 'tcp_v4_connect',
      autoAttach: true,
    });
    expect(p('kretprobe__tcp_v4_connect')).toMatchObject({ attachKind: 'kretprobe' });
    expect(p('syscall__openat')).toMatchObject({ autoAttach: false, attachKind: 'syscall' });
    const tp = await compile({ file: join(CORPUS, 'tracing', 'tp_switch.c') }, { cacheDir: cache });
    expect(tp.programs[0]).toMatchObject({
      name: 'tracepoint__sched__sched_switch',
      type: ProgramType.TRACEPOINT,
      attachTarget: 'sched:sched_switch',
      kernelName: 'sched__sched_sw',
    });
  });
});
