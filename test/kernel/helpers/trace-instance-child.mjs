/**
 * Child process for trace-instance.test.ts: opens a trace reader (a private tracefs instance),
 * prints the instance's directory, and waits to be signalled. Plain node on the built module
 * (dist/, which bootstrap builds): under the 6.1 guest's emulation, vite-node's start with the
 * whole source tree took over 60 s; this takes a few.
 */
import { TracePipe } from '../../../dist/src/events/trace-pipe.js';

const pipe = await TracePipe.open();
pipe.onLine(() => undefined);
console.log(JSON.stringify({ dir: pipe.instanceDir }));
