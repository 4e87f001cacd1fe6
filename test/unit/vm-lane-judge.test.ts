import { describe, expect, it } from 'vitest';
import { judgeLaneFile, type LaneReport, type TestReport } from '../vm/judge.js';

const FILE = '/repo/test/kernel/x.test.ts';
const test = (status: string, extra: Partial<TestReport> = {}): TestReport => ({
  fullName: `suite ${status}`,
  status,
  failureMessages: [],
  ...extra,
});
const report = (tests: TestReport[], status = 'passed', message = ''): LaneReport => ({
  testResults: [{ name: FILE, status, message, assertionResults: tests }],
});
// The guest has kprobes; it lacks "tcx" (say, newer than 6.1).
const guestHas = (f: string): boolean => f !== 'tcx';

describe('VM lane judgement of the guest results', () => {
  it('accepts a file whose tests all passed', () => {
    expect(judgeLaneFile(report([test('passed'), test('passed')]), FILE, guestHas)).toEqual([]);
  });

  it('accepts a skip for a feature the guest lacks', () => {
    const t = test('skipped', { meta: { missingFeatures: ['tcx'], skipLines: ['skipped: tcx is missing'] } });
    expect(judgeLaneFile(report([t]), FILE, guestHas)).toEqual([]);
  });

  it('accepts a test of a missing feature skipped where the guest has it, not where it lacks it', () => {
    const t = test('skipped', { meta: { presentFeatures: ['sfq'] } });
    expect(judgeLaneFile(report([t]), FILE, guestHas)).toEqual([]);
    const u = test('skipped', { meta: { presentFeatures: ['tcx'] } });
    expect(judgeLaneFile(report([u]), FILE, guestHas)).toEqual([
      'skipped as if the guest had tcx, which it lacks: suite skipped',
    ]);
  });

  it('fails a skip for a feature the guest has, naming it', () => {
    const t = test('skipped', { meta: { missingFeatures: ['kprobes'] } });
    expect(judgeLaneFile(report([t]), FILE, guestHas)).toEqual([
      'skipped for kprobes, which the guest has: suite skipped',
    ]);
  });

  it('fails a skip or todo without a recorded feature reason', () => {
    expect(judgeLaneFile(report([test('skipped'), test('todo')]), FILE, guestHas)).toEqual([
      'skipped without a feature reason: suite skipped',
      'todo without a feature reason: suite todo',
    ]);
  });

  it('fails a test that printed a skip line but passed (an early return)', () => {
    const t = test('passed', { meta: { skipLines: ['skipped: act_police is missing'] } });
    expect(judgeLaneFile(report([t]), FILE, guestHas)).toEqual([
      'printed "skipped: act_police is missing" but passed (skip with requireFeatures): suite passed',
    ]);
  });

  it('fails a failed test with its first message', () => {
    const t = test('failed', { failureMessages: ['AssertionError: expected 4 to be 0', 'more'] });
    expect(judgeLaneFile(report([t], 'failed'), FILE, guestHas)).toEqual([
      'failed: suite failed: AssertionError: expected 4 to be 0',
    ]);
  });

  it('fails a file that was not run, ran no tests, or failed to load', () => {
    expect(judgeLaneFile(undefined, FILE, guestHas)).toEqual(['no vitest report from the guest']);
    expect(judgeLaneFile({ testResults: [] }, FILE, guestHas)).toEqual([`${FILE} was not run in the guest`]);
    expect(judgeLaneFile(report([], 'failed', 'Cannot find module x'), FILE, guestHas)).toEqual([
      'no tests ran in the guest: Cannot find module x',
    ]);
    expect(
      judgeLaneFile(report([test('passed')], 'failed', 'afterAll hook timed out'), FILE, guestHas),
    ).toEqual(['file: afterAll hook timed out']);
  });
});
