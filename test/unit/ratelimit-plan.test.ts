import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../../src/index.js';
import { freeMinor, planDirection, prefixText, triePrefix } from '../../src/deploy/ratelimit-install.js';
import { fromTrieKey, trieKey } from '../../src/recipes/prefix-classifier.js';
import { lockNamespace, lockSocketName } from '../../src/deploy/ratelimit-lock.js';
import type { RecordDirection } from '../../src/deploy/ratelimit-record.js';

const policy = (classes: string): ReturnType<typeof checkPolicy>['directions'][number] =>
  checkPolicy(`interfaces:\n  eth0:\n    egress:\n      classes:\n${classes}`).directions[0]!;

describe('tsbcc ratelimit plan (pure)', () => {
  it('writes prefixes canonically and keys the tries with length then address', () => {
    expect(prefixText(triePrefix('10.1.2.3'))).toBe('10.1.2.3');
    expect(prefixText(triePrefix('10.1.2.0/24'))).toBe('10.1.2.0/24');
    expect(prefixText(triePrefix('fd00:0:0:0:0:0:0:1'))).toBe('fd00::1');
    expect(prefixText(triePrefix('fd00:1:0:0:1::/80'))).toBe('fd00:1:0:0:1::/80');
    expect(prefixText(triePrefix('::/0'))).toBe('::/0');
    expect(prefixText(triePrefix('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(() => triePrefix('10.1.2.3/24')).toThrow('host bits set');
    const k = trieKey(triePrefix('10.1.2.0/24'));
    expect(k.toString('hex')).toBe('180000000a010200');
    expect(prefixText(fromTrieKey(k))).toBe('10.1.2.0/24');
    expect(trieKey(triePrefix('fd00::/8')).length).toBe(20);
  });

  it('numbers classes from 1, keeps the minors of classes that stay, never reuses one that goes', () => {
    const first = planDirection(
      policy(
        '        a: { rate: 1mbit, addresses: [10.0.0.1] }\n        b: { rate: 2mbit, ceil: 4mbit, addresses: [10.0.1.0/24, "fd00::/64"] }\n',
      ),
      undefined,
    );
    expect(first.classes).toEqual([
      { name: 'a', minor: 1, rate: 1e6 },
      { name: 'b', minor: 2, rate: 2e6, ceil: 4e6 },
    ]);
    expect(first.entries).toEqual([
      { prefix: '10.0.0.1', class: 'a' },
      { prefix: '10.0.1.0/24', class: 'b' },
      { prefix: 'fd00::/64', class: 'b' },
    ]);
    const old: RecordDirection = {
      interface: 'eth0',
      direction: 'egress',
      pinDir: '/x',
      complete: true,
      ...first,
      classes: [...first.classes, { name: '=10.0.0.9', minor: 3, rate: 5e6, address: '10.0.0.9' }],
    };
    // a goes, b stays (new rate), c is new: c may take neither 1 (a, deleted last) nor 3
    const next = planDirection(
      policy('        c: { rate: 3mbit }\n        b: { rate: 8mbit, addresses: [10.0.1.0/24] }\n'),
      old,
    );
    expect(next.classes).toEqual([
      { name: 'c', minor: 4, rate: 3e6 },
      { name: 'b', minor: 2, rate: 8e6 },
    ]);
    expect(freeMinor(old)).toBe(4);
  });
});

describe('tsbcc ratelimit change lock', () => {
  it('makes a second holder wait until the first releases; other keys are independent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rl-lock-'));
    const saved = process.env.TSBCC_RUN_DIR;
    const savedWait = process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS;
    process.env.TSBCC_RUN_DIR = dir;
    try {
      const release = await lockNamespace('ns1');
      expect(readFileSync(join(dir, 'ratelimit', 'ns1.lock'), 'utf8')).toMatch(
        new RegExp(`^${process.pid} `),
      );
      const other = await lockNamespace('ns2'); // another namespace is independent
      other();
      const waited: string[] = [];
      const order: string[] = [];
      const second = lockNamespace('ns1', (h) => waited.push(h)).then((r) => {
        order.push('second');
        return r;
      });
      await new Promise((r) => setTimeout(r, 200));
      order.push('first released');
      release();
      (await second)();
      expect(order).toEqual(['first released', 'second']);
      expect(waited).toEqual([`process ${process.pid}`]);
      expect(readdirSync(join(dir, 'ratelimit'))).toEqual([]);
      // held past the wait limit: refused, naming the holder
      process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS = '100';
      const held = await lockNamespace('ns1');
      await expect(lockNamespace('ns1')).rejects.toThrow(
        `ratelimit in ns1 is being changed by process ${process.pid}; gave up waiting after 100 ms`,
      );
      held();
      // a holder that is SIGKILLed frees the lock at once (the kernel closes its socket)
      delete process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS;
      const child = spawn(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(lockSocketName('ns1'))}, () => console.log('held'))`,
      ]);
      await new Promise((r) => child.stdout.once('data', r));
      writeFileSync(join(dir, 'ratelimit', 'ns1.lock'), `${child.pid} 12345\n`);
      const notices: string[] = [];
      const after = lockNamespace('ns1', (h) => notices.push(h));
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGKILL');
      (await after)();
      expect(notices).toEqual([`process ${child.pid}`]);
    } finally {
      if (saved === undefined) delete process.env.TSBCC_RUN_DIR;
      else process.env.TSBCC_RUN_DIR = saved;
      if (savedWait === undefined) delete process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS;
      else process.env.TSBCC_RATELIMIT_LOCK_WAIT_MS = savedWait;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
