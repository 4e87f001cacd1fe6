// The vitest configuration the VM lane runs inside the 6.1 guest (test/vm/lane.test.ts starts
// it there; not meant for this machine): exactly the files of test/vm/lane.ts, one at a time,
// with the kernel project's leak check, and timeouts for software emulation.
import { defineConfig } from 'vitest/config';
import { vmLaneFiles } from './lane.js';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: [...vmLaneFiles],
    setupFiles: ['test/vm/guest-setup.ts'],
    globalSetup: ['test/global/leak-check.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // One module world for all files: under emulation, importing tsbcc again for each file
    // costs ~25 s.
    isolate: false,
  },
});
