/**
 * The tc owner record's file format (src/tc/owner-log.ts): an append-only log written by one
 * process, read back by `tsbcc tc clean` — including a log torn inside its last write (the
 * writer SIGKILLed mid-write), version 1 files, compaction, and a reused pid's stale record.
 */
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnerLog, formatRecord, parseRecord } from '../../src/tc/owner-log.js';
import { cleanDeadOwners, cleanSummary } from '../../src/tc/owner-record.js';

interface E {
  seq: number;
  name: string;
}

let dir: string;
let file: string;
const me = { pid: 4321, pidStart: '777' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-owner-log-'));
  file = join(dir, 'tc', '4321-1.json'); // tc/ does not exist yet: made on first write
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (): ReturnType<typeof parseRecord<E>> => parseRecord<E>(readFileSync(file, 'utf8'));

describe('tc owner log', () => {
  it('records adds and forgets by appending, and removes the file with the last object', () => {
    const log = new OwnerLog<E>(me);
    const a = { seq: 1, name: 'a' };
    const b = { seq: 2, name: 'b' };
    log.add(file, a, [a]);
    expect(read()).toEqual({ ...me, objects: [a] });
    log.add(file, b, [a, b]);
    log.forget(file, 1, [b]);
    expect(read()).toEqual({ ...me, objects: [b] });
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(5); // header, 2 adds, forget, ''
    log.forget(file, 2, []);
    expect(existsSync(file)).toBe(false);
    log.add(file, { seq: 3, name: 'c' }, [{ seq: 3, name: 'c' }]);
    expect(read()?.objects.map((o) => o.name)).toEqual(['c']);
    log.remove();
    expect(readdirSync(join(dir, 'tc'))).toEqual([]);
  });

  it('lingers: the last forget is appended and the file stays open until remove()', () => {
    const log = new OwnerLog<E>(me, { linger: true });
    for (let s = 1; s <= 3; s++) {
      const e = { seq: s, name: `n${s}` };
      log.add(file, e, [e]);
      expect(read()?.objects).toEqual([e]);
      log.forget(file, s, []);
      expect(read()).toEqual({ ...me, objects: [] }); // still there, naming nothing
    }
    // one header, then an add and a forget line per object: one file for all three
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(8);
    expect(log.isOpen).toBe(true);
    // compaction with nothing alive cuts the file back to its header
    let maxSize = 0;
    for (let s = 4; s < 2000; s++) {
      const e = { seq: s, name: 'y'.repeat(40) };
      log.add(file, e, [e]);
      log.forget(file, s, []);
      maxSize = Math.max(maxSize, readFileSync(file).length);
    }
    expect(maxSize).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(read()).toEqual({ ...me, objects: [] });
    const e = { seq: 2001, name: 'z' };
    log.add(file, e, [e]);
    expect(read()).toEqual({ ...me, objects: [e] });
    log.forget(file, 2001, []);
    log.remove();
    expect(existsSync(file)).toBe(false);
    expect(log.isOpen).toBe(false);
  });

  it('deferForgets: a forget goes out with the next add, or at the end of the loop turn', async () => {
    const log = new OwnerLog<E>(me, { linger: true, deferForgets: true });
    const a = { seq: 1, name: 'a' };
    const b = { seq: 2, name: 'b' };
    log.add(file, a, [a]);
    log.forget(file, 1, []);
    expect(read()?.objects).toEqual([a]); // not written yet: names a removed object (a superset)
    log.add(file, b, [b]);
    expect(read()?.objects).toEqual([b]); // one write: the forget of a, then the add of b
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(2, 4)).toEqual(['{"forget":1}', JSON.stringify({ add: b })]);
    log.forget(file, 2, []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(read()?.objects).toEqual([]);
    // with objects alive and no add following, flush() (the exit path) writes the forgets
    const c = { seq: 3, name: 'c' };
    const d = { seq: 4, name: 'd' };
    log.add(file, c, [c]);
    log.add(file, d, [c, d]);
    log.forget(file, 3, [d]);
    log.flush();
    expect(read()?.objects).toEqual([d]);
    log.forget(file, 4, []);
    log.remove(); // drops what is pending with the file
    expect(existsSync(file)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve)); // the queued flush finds nothing
    expect(existsSync(file)).toBe(false);
  });

  it('unforget: takes back the last forget while unwritten, without a write; not once it is written', async () => {
    const log = new OwnerLog<E>(me, { linger: true, deferForgets: true });
    const a = { seq: 1, name: 'a' };
    log.add(file, a, [a]);
    const written = readFileSync(file, 'utf8');
    log.forget(file, 1, []);
    expect(log.unforget(file, 2)).toBe(false); // not the pending one
    expect(log.unforget(join(dir, 'elsewhere.json'), 1)).toBe(false); // not this file
    expect(log.unforget(file, 1)).toBe(true);
    expect(log.unforget(file, 1)).toBe(false); // nothing pending any more
    await new Promise((resolve) => setImmediate(resolve)); // the queued flush has nothing to write
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(read()?.objects).toEqual([a]);
    // once the forget is written (end of the loop turn), it stays
    log.forget(file, 1, []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.unforget(file, 1)).toBe(false);
    expect(read()?.objects).toEqual([]);
    // a file removed under the log: not taken back (the next add starts the file over)
    const b = { seq: 2, name: 'b' };
    log.add(file, b, [b]);
    log.forget(file, 2, []);
    rmSync(file);
    expect(log.unforget(file, 2)).toBe(false);
    log.add(file, b, [b]);
    expect(read()?.objects).toEqual([b]);
    log.remove();
  });

  it("clean removes a dead process's emptied record (SIGKILLed while it lingered)", async () => {
    const dead = { pid: 0x3ffffffe, pidStart: '1' }; // above pid_max: never alive
    const log = new OwnerLog<E>(dead, { linger: true });
    const deadFile = join(dir, 'tc', `${dead.pid}-0.json`);
    log.add(deadFile, { seq: 1, name: 'a' }, [{ seq: 1, name: 'a' }]);
    log.forget(deadFile, 1, []);
    expect(existsSync(deadFile)).toBe(true);
    const reports = await cleanDeadOwners({ dir: join(dir, 'tc') });
    expect(reports).toEqual([{ pid: dead.pid, removed: [], removedXdp: 0, skipped: 0 }]);
    expect(cleanSummary(reports)).toBe('removed 0 tc objects and 0 XDP programs of 1 dead process');
    expect(existsSync(deadFile)).toBe(false);
  });

  it('drops a torn last line: an add the writer died in was never sent, a torn forget keeps the object', () => {
    const a = { seq: 1, name: 'a' };
    const whole = formatRecord(me, [a]);
    const addB = JSON.stringify({ add: { seq: 2, name: 'b' } });
    for (let cut = 1; cut <= addB.length; cut++) {
      // every prefix of the line without its newline is ignored
      expect(parseRecord<E>(whole + addB.slice(0, cut))?.objects).toEqual([a]);
    }
    expect(parseRecord<E>(`${whole + addB}\n`)?.objects.map((o) => o.seq)).toEqual([1, 2]);
    const forgetA = JSON.stringify({ forget: 1 });
    expect(parseRecord<E>(whole + forgetA.slice(0, -1))?.objects).toEqual([a]);
    expect(parseRecord<E>(`${whole + forgetA}\n`)?.objects).toEqual([]);
    // a header torn in the first write: no record (clean removes such a file of a dead pid)
    expect(parseRecord<E>(whole.slice(0, 10))).toBeUndefined();
    expect(parseRecord<E>('')).toBeUndefined();
  });

  it('reads version 1 records (one JSON object, from earlier tsbcc)', () => {
    const v1 = { version: 1, pid: 9, pidStart: '5', objects: [{ seq: 3, name: 'x' }] };
    expect(parseRecord<E>(JSON.stringify(v1))).toEqual({ pid: 9, pidStart: '5', objects: v1.objects });
  });

  it('compacts a log that grew past a few times its live content', () => {
    const log = new OwnerLog<E>(me);
    const keep = { seq: 1, name: 'kept' };
    log.add(file, keep, [keep]);
    let maxSize = 0;
    for (let s = 2; s < 3000; s++) {
      const e = { seq: s, name: 'x'.repeat(20) };
      log.add(file, e, [keep, e]);
      log.forget(file, s, [keep]);
      maxSize = Math.max(maxSize, readFileSync(file).length);
    }
    expect(read()).toEqual({ ...me, objects: [keep] });
    expect(maxSize).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(readFileSync(file).length).toBeLessThan(64 * 1024);
  });

  it('starts over when its file was removed under it, and moves a reused pid’s stale record aside', () => {
    const log = new OwnerLog<E>(me);
    const a = { seq: 1, name: 'a' };
    const b = { seq: 2, name: 'b' };
    log.add(file, a, [a]);
    rmSync(join(dir, 'tc'), { recursive: true }); // someone removed the directory
    log.add(file, b, [a, b]);
    expect(read()?.objects).toEqual([a, b]);
    log.forget(file, 1, [b]);
    log.forget(file, 2, []);

    // a dead process with our pid (another start time) left its record at our file's name
    const stale = formatRecord({ pid: 4321, pidStart: '1' }, [{ seq: 8, name: 'stale' }]);
    writeFileSync(file, stale);
    log.add(file, a, [a]);
    expect(read()?.objects).toEqual([a]);
    expect(readFileSync(join(dir, 'tc', '4321-1.1.json'), 'utf8')).toBe(stale);
    log.remove();
  });

  it('rewrites the whole record when the directory changes ($TSBCC_RUN_DIR)', () => {
    const log = new OwnerLog<E>(me);
    const a = { seq: 1, name: 'a' };
    const b = { seq: 2, name: 'b' };
    log.add(file, a, [a]);
    const other = join(dir, 'other', '4321-1.json');
    log.add(other, b, [a, b]);
    expect(existsSync(file)).toBe(false);
    expect(parseRecord<E>(readFileSync(other, 'utf8'))?.objects).toEqual([a, b]);
    appendFileSync(other, '{"forg'); // torn by nobody in practice; still read
    expect(parseRecord<E>(readFileSync(other, 'utf8'))?.objects).toEqual([a, b]);
    log.remove();
    expect(existsSync(other)).toBe(false);
  });
});

describe('tc clean summary', () => {
  it('counts tc objects and XDP programs apart, with singular and plural', () => {
    const report = (removed: string[], removedXdp: number) => ({ pid: 1, removed, removedXdp, skipped: 0 });
    expect(cleanSummary([])).toBe('removed 0 tc objects and 0 XDP programs of 0 dead processes');
    expect(cleanSummary([report(['XDP program 7 on v1'], 1)])).toBe(
      'removed 0 tc objects and 1 XDP program of 1 dead process',
    );
    expect(
      cleanSummary([
        report(['filter f (program 3) on v1', 'clsact on v1', 'XDP program 7 on v1'], 1),
        report(['qdisc htb on v2', 'XDP program 8 on v2'], 1),
      ]),
    ).toBe('removed 3 tc objects and 2 XDP programs of 2 dead processes');
    expect(cleanSummary([report(['qdisc htb on v2'], 0)])).toBe(
      'removed 1 tc object and 0 XDP programs of 1 dead process',
    );
  });
});
