import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/events/event-queue.js';

describe('event stream iterators', () => {
  it('every iterator sees every event in order, from when it opened', async () => {
    const q = new EventQueue<number>();
    expect(q.active).toBe(false);
    const a = q.iterate();
    q.push(1);
    const b = q.iterate();
    q.push(2);
    q.push(3);
    q.end();
    const all = async (it: AsyncIterableIterator<number>): Promise<number[]> => {
      const out: number[] = [];
      for await (const x of it) out.push(x);
      return out;
    };
    expect(await all(a)).toEqual([1, 2, 3]);
    expect(await all(b)).toEqual([2, 3]);
    expect(q.active).toBe(false);
  });

  it('a pending next() resolves with the next event; abort ends the iteration cleanly', async () => {
    const q = new EventQueue<string>();
    const ac = new AbortController();
    const it = q.iterate({ signal: ac.signal });
    const pending = it.next();
    q.push('x');
    expect(await pending).toEqual({ value: 'x', done: false });
    const waiting = it.next();
    ac.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
    q.push('late');
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('break in for-await detaches the iterator; an aborted signal ends at once', async () => {
    const q = new EventQueue<number>();
    const it = q.iterate();
    q.push(1);
    for await (const x of it) {
      expect(x).toBe(1);
      break;
    }
    expect(q.active).toBe(false);
    const ac = new AbortController();
    ac.abort();
    expect(await q.iterate({ signal: ac.signal }).next()).toEqual({ value: undefined, done: true });
  });
});
