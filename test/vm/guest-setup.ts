// Set-up file of the lane's run inside the 6.1 guest (test/vm/guest.config.ts): a test that
// prints "skipped: ..." but does not skip (an early return) would pass without testing anything;
// the line is recorded in the test's meta, where the lane (test/vm/lane.test.ts) finds it and
// fails the test. Tests skip through test/kernel/helpers/require-features.ts instead.
import { afterEach, beforeEach, type Test } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** "skipped: ..." lines the test printed. */
    skipLines?: string[];
  }
}

let current: Test | undefined;
beforeEach((ctx) => {
  current = ctx.task;
});
afterEach(() => {
  current = undefined;
});

// Wrapped once per worker: without isolation (guest.config.ts) this file runs before each test
// file in the same module world, and the newest registration's `current` is the live one.
const wrapped = Symbol.for('tsbcc.vmLane.consoleLog');
const holder = globalThis as { [wrapped]?: { current: () => Test | undefined } };
const state = { current: (): Test | undefined => current };
if (holder[wrapped]) {
  holder[wrapped].current = state.current;
} else {
  holder[wrapped] = state;
  const log = console.log.bind(console);
  console.log = (...args: unknown[]): void => {
    const text = args.map(String).join(' ');
    const task = holder[wrapped]?.current();
    if (task && text.startsWith('skipped:')) (task.meta.skipLines ??= []).push(text);
    log(...args);
  };
}
