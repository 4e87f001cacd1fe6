import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLinearHist, formatLog2Hist, log2HistJson } from '../../src/index.js';

// Golden output printed by BCC 0.26 (python3-bpfcc) for the same data: see
// fixtures/bcc-hist-0.26.py, which generated fixtures/bcc-hist-0.26.txt.
const golden = readFileSync(new URL('./fixtures/bcc-hist-0.26.txt', import.meta.url), 'utf8').split('---\n');

const entries = (pairs: [number, number][]): [number, bigint][] => pairs.map(([k, v]) => [k, BigInt(v)]);

describe("histograms in BCC's exact text", () => {
  it('log2, narrow form', () => {
    const e = entries([
      [1, 3],
      [2, 10],
      [3, 0],
      [4, 250],
      [5, 1],
      [7, 40],
    ]);
    expect(formatLog2Hist(e, { valType: 'usecs' })).toBe(golden[0]);
  });

  it('log2, wide form (slot > 32) with leading zeros stripped', () => {
    const e = entries([
      [3, 5],
      [40, 7],
    ]);
    expect(formatLog2Hist(e, { valType: 'bytes', stripLeadingZero: true })).toBe(golden[1]);
  });

  it('linear, with and without leading zeros', () => {
    expect(
      formatLinearHist(
        entries([
          [0, 2],
          [3, 9],
          [5, 100],
        ]),
        { valType: 'ms' },
      ),
    ).toBe(golden[2]);
    expect(
      formatLinearHist(
        entries([
          [2, 1],
          [4, 3],
        ]),
        { valType: 'ms', stripLeadingZero: true },
      ),
    ).toBe(golden[3]);
  });

  it('struct keys print one section per bucket', () => {
    const disk = (s: string): Buffer => {
      const b = Buffer.alloc(8);
      b.write(s);
      return b;
    };
    const e: [{ disk: Buffer; slot: bigint }, bigint][] = [
      [{ disk: disk('sda'), slot: 1n }, 4n],
      [{ disk: disk('sda'), slot: 3n }, 2n],
      [{ disk: disk('vdb'), slot: 2n }, 9n],
    ];
    expect(formatLog2Hist(e, { valType: 'kbytes', sectionHeader: 'disk' })).toBe(golden[4]);
    const e2: [{ pid: number; slot: number }, bigint][] = [
      [{ pid: 7, slot: 1 }, 1n],
      [{ pid: 9, slot: 2 }, 3n],
    ];
    expect(
      formatLog2Hist(e2, {
        valType: 'usecs',
        sectionHeader: 'pid',
        sectionPrintFn: (b) => `pid ${String(b)}`,
      }),
    ).toBe(golden[5]);
  });

  it('prints nothing for an empty table', () => {
    expect(formatLog2Hist([])).toBe('');
    expect(formatLinearHist([])).toBe('');
  });

  it('JSON form has the intervals and counts', () => {
    const [h] = log2HistJson(
      entries([
        [1, 3],
        [3, 5],
      ]),
      { valType: 'usecs' },
    );
    expect(h?.val_type).toBe('usecs');
    expect(h?.data).toEqual([
      { 'interval-start': 0, 'interval-end': 1, count: 3 },
      { 'interval-start': 2, 'interval-end': 3, count: 0 },
      { 'interval-start': 4, 'interval-end': 7, count: 5 },
    ]);
    const sections = log2HistJson([[{ cpu: 1, slot: 2 }, 4n]], { sectionHeader: 'cpu' });
    expect(sections[0]?.section).toEqual({ header: 'cpu', bucket: 1 });
  });
});
