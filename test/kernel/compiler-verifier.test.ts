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

/** Loads `unchecked` as SCHED_CLS and returns the VerifierError it must raise. */
async function rejection(spec: Awaited<ReturnType<typeof compile>>): Promise<VerifierError> {
  const obj = BpfObject.create(spec);
  try {
    obj.loadFunc('unchecked', 'SCHED_CLS');
  } catch (e) {
    expect(e).toBeInstanceOf(VerifierError);
    return e as VerifierError;
  } finally {
    obj.close();
  }
  throw new Error('the verifier accepted a program that dereferences a lookup without a NULL check');
}

describe('verifier errors in user coordinates', () => {
  it('names the rewritten line as the user wrote it', async () => {
    const file = join(dir, 'unchecked.c');
    writeFileSync(file, SRC);
    const v = await rejection(await compile({ file }, { noCache: true }));
    expect(v.log).toMatch(/map_value_or_null/);
    expect(v.sourceLine?.line).toBe(5);
    expect(v.sourceLine?.text.trim()).toBe('u64 v = *h.lookup(&k);');
  });

  it('names the line of a program compiled from a string', async () => {
    const v = await rejection(await compile({ text: SRC }, { noCache: true }));
    expect(v.sourceLine?.line).toBe(5);
    expect(v.sourceLine?.text).toBe('u64 v = *h.lookup(&k);');
    expect(v.message).toContain('u64 v = *h.lookup(&k);');
  });
});
