// The VM lane (test/vm/lane.test.ts) boots a VM and is not part of the default projects:
//   npm run test:vm     (installs qemu and the 6.1 image first: scripts/vm/setup.sh)
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/vm/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
