import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';

// The addon's resident code (its executable mappings in /proc/self/smaps), in MB. This file runs
// in a process of its own (the kernel project's forks pool), so no other compile is in flight.
function addonCodeMb(): number {
  let kb = 0;
  let inAddon = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      inAddon = (head[1] ?? '').includes('x') && (head[2] ?? '').endsWith('tsbcc.node');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && inAddon) kb += Number(rss[1]);
  }
  return kb / 1024;
}

const src = (n: number): string => `BPF_HASH(counts, u32, u64, ${n});
int count(struct __sk_buff *skb) { u32 k = skb->ifindex; counts.increment(k); return 0; }
`;

describe('compiler memory', () => {
  it('gives the compiler code back after a compile, and compiles the same object again', async () => {
    const first = await compile(src(7), { noCache: true });
    // clang and LLVM run ~10+ MB of the addon's code; released, a few pages are left at most
    expect(addonCodeMb()).toBeLessThan(2);
    const again = await compile(src(7), { noCache: true });
    expect(again.elf.equals(first.elf)).toBe(true);
    expect(addonCodeMb()).toBeLessThan(2);
  });

  it('releases only when the last of concurrent compiles ends, each one intact', async () => {
    const alone: Buffer[] = [];
    for (const n of [1, 2, 3]) alone.push((await compile(src(n), { noCache: true })).elf);
    const together = await Promise.all([1, 2, 3].map((n) => compile(src(n), { noCache: true })));
    together.forEach((s, i) => expect(s.elf.equals(alone[i] as Buffer)).toBe(true));
    expect(addonCodeMb()).toBeLessThan(2);
  });
});
