/**
 * Child process for trace-instance.test.ts: opens a trace reader (a private tracefs instance),
 * prints the instance's directory, and waits to be signalled.
 */
import { TracePipe } from '../../../src/index.js';

const pipe = await TracePipe.open();
pipe.onLine(() => undefined);
console.log(JSON.stringify({ dir: pipe.instanceDir }));
