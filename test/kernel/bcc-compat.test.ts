/**
 * BCC's own programs (tests/python, examples, 18 tools) as BCC 0.26 received them, checked
 * against the floor in test/corpus/bcc-compat.json: every module the floor lists as loaded by
 * tsbcc must still compile and load each function BCC loaded (so the count can only go up), and
 * docs/bcc-compat.md must state the floor's count. The modules come from a BCC capture made by
 * `scripts/bcc-compat/measure.py all BCC_CHECKOUT OUT` (BCC's programs are not copied into
 * tsbcc); point TSBCC_BCC_COMPAT at OUT. Without it the test skips and says why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { BpfObject } from '../../src/core/bpf-object.js';

const ROOT = join(import.meta.dirname, '..', '..');
interface Floor {
  command: string;
  modules: number;
  bccLoads: number;
  tsbccLoads: number;
  loads: string[];
}
const floor = JSON.parse(readFileSync(join(ROOT, 'test', 'corpus', 'bcc-compat.json'), 'utf8')) as Floor;

interface Module {
  key: string;
  text: string;
  src_file: string | null;
  cflags: string[];
  targets: string[];
  bcc: { status: string; loaded: [string, number, number][] };
  /** USDT contexts BCC was given: a copy of the traced binary and the probes enabled. */
  usdt: { binary?: string | null; probes?: [string, string][] }[];
  /** Earlier modules of the same process with *_PUBLIC / *_SHARED tables (for extern tables). */
  after?: string[];
}
const dir = process.env.TSBCC_BCC_COMPAT;
const results = dir ? join(dir, 'results.json') : '';
const skip = !dir || !existsSync(results);
if (skip)
  console.log(
    'bcc-compat: skipped — no BCC capture (run scripts/bcc-compat/measure.py all BCC_CHECKOUT OUT, then TSBCC_BCC_COMPAT=OUT)',
  );

describe('the floor record', () => {
  it('is consistent and docs/bcc-compat.md states it', () => {
    expect(new Set(floor.loads).size).toBe(floor.loads.length);
    expect(floor.loads.length).toBe(floor.tsbccLoads);
    expect(floor.tsbccLoads).toBeLessThanOrEqual(floor.bccLoads);
    const doc = readFileSync(join(ROOT, 'docs', 'bcc-compat.md'), 'utf8');
    expect(doc).toContain(`tsbcc loads **${floor.tsbccLoads} of the ${floor.bccLoads}**`);
  });
});

describe.skipIf(skip)("BCC's programs load as the floor says", () => {
  // made in beforeAll, not while collecting: a skipped suite's hooks do not run, so a directory
  // made here would be left behind whenever there is no capture
  let cache = '';
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'tsbcc-bcc-compat-'));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));
  const modules = skip ? [] : (JSON.parse(readFileSync(results, 'utf8')) as Module[]);

  it('every module of the floor is in the capture', () => {
    const keys = new Set(modules.map((m) => m.key));
    expect(floor.loads.filter((k) => !keys.has(k))).toEqual([]);
  });

  it('every module of the floor compiles and loads what BCC loaded', async () => {
    const failed: string[] = [];
    for (const key of floor.loads) {
      const m = modules.find((x) => x.key === key);
      if (!m) continue;
      const earlier: BpfObject[] = [];
      try {
        for (const [i, text] of (m.after ?? []).entries()) {
          const s = await compile(
            { text, name: `${key}-after-${i}.c` },
            { cacheDir: cache, cflags: m.cflags },
          );
          earlier.push(BpfObject.create(s));
        }
        const usdt = m.usdt.flatMap((c) =>
          c.binary
            ? [{ path: c.binary, probes: (c.probes ?? []).map(([probe, fnName]) => ({ probe, fnName })) }]
            : [],
        );
        const src =
          m.src_file && existsSync(m.src_file) ? { file: m.src_file } : { text: m.text, name: `${key}.c` };
        const spec = await compile(src, {
          cacheDir: cache,
          cflags: m.cflags,
          ...(usdt.length ? { usdt } : {}),
        });
        const obj = BpfObject.create(spec);
        try {
          for (const [name, type, attach] of m.bcc.loaded)
            obj.loadFunc(name, type, attach >= 0 ? { expectedAttachType: attach } : {});
        } finally {
          obj.close();
        }
      } catch (e) {
        failed.push(`${key} (${m.targets.join(', ')}): ${String(e).split('\n')[0]}`);
      } finally {
        for (const o of earlier.reverse()) o.close();
      }
    }
    expect(failed).toEqual([]);
  }, 900_000);
});
