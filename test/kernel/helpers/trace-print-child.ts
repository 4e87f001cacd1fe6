/**
 * Child process for events-options.test.ts: starts tracePrint on trace_pipe, aborts it, reports,
 * and then has nothing left to do. The pipe stays open (the registry closes it at exit): an
 * aborted tracePrint must not keep watching it, or the process would not end on its own.
 */
import { TracePipe } from '../../../src/index.js';

// trace_pipe takes one reader at a time: wait (bounded) while another process holds it.
const deadline = Date.now() + 30_000;
let pipe: TracePipe | undefined;
while (!pipe) {
  try {
    pipe = await TracePipe.open();
  } catch (e) {
    if ((e as { code?: string }).code !== 'EBUSY' || Date.now() > deadline) throw e;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const ac = new AbortController();
const done = pipe.tracePrint({ signal: ac.signal, write: () => undefined });
setImmediate(() => ac.abort());
await done;
console.log(JSON.stringify({ stopped: true, closed: pipe.closed }));
