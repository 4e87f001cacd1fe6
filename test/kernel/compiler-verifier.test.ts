/**
 * Verifier failures of BCC-C programs point at the user's own source line, also when the
 * line was rewritten (map method calls, packet access).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BpfObject, compile, VerifierError } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbcc-verifier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SRC = `BPF_HASH(h, u32, u64);

int unchecked(struct __sk_buff *skb) {
  u32 k = skb->ifindex;
  u64 v = *h.lookup(&k);
  return v;
}
`;

describe('verifier errors in user coordinates', () => {
  it('names the rewritten line as the user wrote it', async () => {
    const file = join(dir, 'unchecked.c');
    writeFileSync(file, SRC);
    const spec = await compile({ file }, { noCache: true });
    const obj = BpfObject.create(spec);
    try {
      let err: unknown;
      try {
        obj.loadFunc('unchecked', 'SCHED_CLS');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerifierError);
      const v = err as VerifierError;
      expect(v.log).toMatch(/map_value_or_null/);
      expect(v.sourceLine?.line).toBe(5);
      expect(v.sourceLine?.text.trim()).toBe('u64 v = *h.lookup(&k);');
    } finally {
      obj.close();
    }
  });

  it('names the line of a program compiled from a string', async () => {
    const obj = BpfObject.create(await compile({ text: SRC }, { noCache: true }));
    try {
      let err: unknown;
      try {
        obj.loadFunc('unchecked', 'SCHED_CLS');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerifierError);
      const v = err as VerifierError;
      expect(v.sourceLine?.line).toBe(5);
      expect(v.sourceLine?.text).toBe('u64 v = *h.lookup(&k);');
      expect(v.message).toContain('u64 v = *h.lookup(&k);');
    } finally {
      obj.close();
    }
  });
});
