import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cleanLeftovers,
  listStates,
  ownerAlive,
  processStart,
  statePath,
  writeState,
  type RunState,
} from '../../src/topology/state.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-state-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function state(prefix: string, over: Partial<RunState> = {}): RunState {
  return {
    prefix,
    pid: process.pid,
    pidStart: processStart(process.pid) ?? '',
    createdAt: new Date().toISOString(),
    status: 'creating',
    detached: false,
    // names that do not exist: removing them is a no-op, so no root is needed
    namespaces: [`${prefix}-h1`],
    rootIfaces: [],
    ...over,
  };
}

describe('topology state files', () => {
  it('tells a live owner from a dead one and from a reused pid', () => {
    expect(ownerAlive(state('a'))).toBe(true);
    expect(ownerAlive(state('b', { pidStart: '1' }))).toBe(false); // same pid, other start time
    expect(ownerAlive(state('c', { pid: 0x3fffffff }))).toBe(false);
  });

  it('clean removes only runs whose owner died, keeps detached testbeds unless asked', async () => {
    writeState(state('live'), dir);
    writeState(state('dead', { pid: 0x3fffffff }), dir);
    writeState(state('detached', { pid: 0x3fffffff, detached: true, status: 'up' }), dir);
    writeState(state('crashedup', { pid: 0x3fffffff, detached: true, status: 'creating' }), dir);
    writeFileSync(join(dir, 'garbage.json'), '{not json');
    const removed = (await cleanLeftovers({ dir })).map((r) => r.prefix).sort();
    expect(removed).toEqual(['crashedup', 'dead']);
    expect(
      listStates(dir)
        .map((s) => s.prefix)
        .sort(),
    ).toEqual(['detached', 'live']);
    expect((await cleanLeftovers({ dir, all: true })).map((r) => r.prefix)).toEqual(['detached']);
    expect(existsSync(statePath('live', dir))).toBe(true);
  });
});
