/**
 * The tc owner record of this process (src/tc/owner-record.ts) on a private run directory: an
 * object made again right after its like was removed takes back the unwritten forget (attach,
 * detach, attach writes nothing), and only then.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/tc/owner-log.js';
import { recordOwned, type OwnedTcObject, type OwnerEntry } from '../../src/tc/owner-record.js';

let dir: string;
const saved = process.env.TSBCC_RUN_DIR;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-owner-record-'));
  process.env.TSBCC_RUN_DIR = dir;
});
afterAll(() => {
  if (saved === undefined) delete process.env.TSBCC_RUN_DIR;
  else process.env.TSBCC_RUN_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

const text = (): string => {
  const names = readdirSync(join(dir, 'tc'));
  expect(names).toHaveLength(1);
  return readFileSync(join(dir, 'tc', names[0] as string), 'utf8');
};
const live = (): OwnerEntry[] => parseRecord<OwnerEntry>(text())?.objects ?? [];
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('tc owner record of this process', () => {
  it('takes back the unwritten forget of a like object made right after; writes otherwise', async () => {
    const place = { nsPath: '', interface: 'lo' };
    const filter = (programId: number): OwnedTcObject => ({
      type: 'filter',
      ifindex: 1,
      parent: 0xfffffff2,
      name: 'tsbcc:t',
      programId,
    });
    let token = recordOwned(place, filter(7));
    const once = text();
    expect(live().map((e) => (e.type === 'filter' ? e.programId : undefined))).toEqual([7]);
    for (let i = 0; i < 5; i++) {
      token.forget();
      token.forget(); // a second forget of the same token does nothing
      token = recordOwned(place, filter(7));
      expect(text()).toBe(once); // nothing written: the entry names the new filter
    }
    expect(live()).toHaveLength(1);
    token.forget();
    await turn(); // the forget goes out at the end of the loop turn
    expect(live()).toEqual([]);
    const next = recordOwned(place, filter(7)); // written: the forget is out already
    expect(live()).toHaveLength(1);
    next.forget();
    const other = recordOwned(place, filter(8)); // another program: a new entry
    expect(live().map((e) => (e.type === 'filter' ? e.programId : undefined))).toEqual([8]);
    other.forget();
    await turn();
    // something recorded in between: no taking back (clean's newest-first order stays true)
    const a = recordOwned(place, filter(7));
    const b = recordOwned({ nsPath: '', interface: 'lo' }, { type: 'hook', ifindex: 1 });
    a.forget();
    const c = recordOwned(place, filter(7));
    const seqs = live().map((e) => e.seq);
    expect(seqs).toHaveLength(2);
    expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
    b.forget();
    c.forget();
    await turn();
    expect(live()).toEqual([]);
  });
});
