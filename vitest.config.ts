import { defineConfig } from 'vitest/config';

// How files are scheduled, independent of the machine's core count:
// - unit: pure logic, run in parallel in worker threads (the `threads` pool).
// - kernel, examples: one file at a time, each in a fresh child process (the `forks` pool,
//   limited to one fork). Their tests share the kernel (namespaces, tc, the rtnl lock, timing
//   of traffic) and the leak check snapshots the whole machine, so they must never overlap.
// vitest reads `fileParallelism` and worker counts only from the root config, not per project;
// the fork limit below is therefore the root's, and it binds only the projects on `forks`.
// `maxForks` also wins over `--maxWorkers` on the command line. `sequence.groupOrder` makes a
// plain `vitest run` finish the unit tests before the kernel files start, and those before the
// examples (projects in one group but on different pools would run at the same time).
export default defineConfig({
  test: {
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts', 'test/exit/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/global/leak-check.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'examples',
          include: ['test/examples/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 2 },
          globalSetup: ['test/global/leak-check.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
