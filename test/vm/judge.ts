/**
 * How the VM lane judges the guest's results (pure logic, unit-tested in
 * test/unit/vm-lane-judge.test.ts): a listed file must have run tests in the guest, and each of
 * them must have passed there. A failed test fails; so does one skipped without a feature reason
 * (recorded by test/kernel/helpers/require-features.ts), one skipped for a feature the guest
 * has, and one that printed "skipped: ..." but passed (an early return that tested nothing). A
 * test of a missing feature's path may skip where the guest has that feature.
 */

/** One test as vitest's JSON reporter writes it. */
export interface TestReport {
  fullName: string;
  status: string;
  duration?: number;
  failureMessages: string[];
  meta?: { missingFeatures?: string[]; presentFeatures?: string[]; skipLines?: string[] };
}

/** One file of vitest's JSON report. */
export interface FileReport {
  name: string;
  status: string;
  message: string;
  assertionResults: TestReport[];
}

/** vitest's JSON report (the parts the lane reads). */
export interface LaneReport {
  testResults: FileReport[];
}

/**
 * What is wrong with one listed file's results in the guest; empty when every test passed.
 * @param absPath the file's absolute path (vitest reports files by it)
 * @param guestHas whether the guest has a feature (its doctor's answer, or the lane's list)
 */
export function judgeLaneFile(
  report: LaneReport | undefined,
  absPath: string,
  guestHas: (feature: string) => boolean,
): string[] {
  if (!report) return ['no vitest report from the guest'];
  const f = report.testResults.find((r) => r.name === absPath);
  if (!f) return [`${absPath} was not run in the guest`];
  const problems: string[] = [];
  if (f.assertionResults.length === 0)
    problems.push(`no tests ran in the guest${f.message ? `: ${f.message}` : ''}`);
  else if (f.status === 'failed' && f.message) problems.push(`file: ${f.message}`);
  for (const t of f.assertionResults) {
    if (t.status === 'failed') {
      problems.push(`failed: ${t.fullName}: ${t.failureMessages[0] ?? ''}`);
    } else if (t.status !== 'passed') {
      const missing = t.meta?.missingFeatures ?? [];
      const present = t.meta?.presentFeatures ?? [];
      if (missing.length === 0 && present.length === 0)
        problems.push(`${t.status} without a feature reason: ${t.fullName}`);
      const had = missing.filter(guestHas);
      if (had.length) problems.push(`skipped for ${had.join(', ')}, which the guest has: ${t.fullName}`);
      const lacked = present.filter((p) => !guestHas(p));
      if (lacked.length)
        problems.push(`skipped as if the guest had ${lacked.join(', ')}, which it lacks: ${t.fullName}`);
    } else if (t.meta?.skipLines?.length) {
      problems.push(`printed "${t.meta.skipLines[0]}" but passed (skip with requireFeatures): ${t.fullName}`);
    }
  }
  return problems;
}
