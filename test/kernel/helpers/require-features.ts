/**
 * Skipping a kernel test by the feature probes, the way the VM lane (test/vm) can check: the
 * reason is printed, shown by vitest as the skip note, and recorded in the test's meta, so that
 * the lane can fail a test the 6.1 guest skipped for a feature the guest has. Tests listed in
 * test/vm/lane.ts skip through these, not by returning early.
 */
import type { TestContext } from 'vitest';
import { features, type FeatureName } from '../../../src/features/index.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Features the test needed and the kernel lacked (set when it skipped for them). */
    missingFeatures?: string[];
    /** Features whose absence the test is about, which the kernel has (set when it skipped). */
    presentFeatures?: string[];
  }
}

/**
 * Returns when the kernel has every named feature; otherwise prints
 * `skipped: <feature> is missing on this kernel (<option>; <probe detail>)` and skips the test.
 */
export async function requireFeatures(ctx: TestContext, ...names: FeatureName[]): Promise<void> {
  const f = await features();
  const missing = names.filter((n) => !f.has(n));
  if (missing.length === 0) return;
  const reason = missing.map((n) => f.missingReason(n)).join('; ');
  console.log(`skipped: ${reason}`);
  ctx.task.meta.missingFeatures = missing;
  ctx.skip(reason);
}

/**
 * For a test of what happens where features are missing: returns when the kernel lacks every
 * named feature; otherwise prints `skipped: this kernel has <feature>` and skips the test.
 */
export async function requireMissing(ctx: TestContext, ...names: FeatureName[]): Promise<void> {
  const f = await features();
  const present = names.filter((n) => f.has(n));
  if (present.length === 0) return;
  const reason = `this kernel has ${present.join(', ')} (the test is for kernels without)`;
  console.log(`skipped: ${reason}`);
  ctx.task.meta.presentFeatures = present;
  ctx.skip(reason);
}
