/**
 * The order of a realisation: every namespace first (in groups of up to NS_CHUNK per native
 * call, groups in parallel; then each one's bridges), then
 * the veth pairs (one netlink batch of up to CHUNK per creating namespace, creators in
 * parallel), and each namespace configured as soon as every veth touching it exists; shaping
 * comes last. Starting veths while namespaces are still being made was measured slower: both
 * contend for the kernel's rtnl lock, and namespace creation then stretches out. The first
 * failure stops new work, waits for what is in flight (so the journal is complete), and is
 * rethrown.
 */
import { ROOT } from './plan.js';
import {
  configureNs,
  createBridgesIn,
  createNamespaces,
  createVethChunk,
  orient,
  shape,
  type OrientedVeth,
  type RealiseContext,
} from './realise.js';

const CHUNK = 256;
/** Namespaces made per native call (one thread each; `ctx.concurrency` calls at once). */
const NS_CHUNK = 32;

/** A concurrency limiter; urgent work jumps the queue. */
function limiter(limit: number): (fn: () => Promise<void>, urgent?: boolean) => Promise<void> {
  let running = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (running >= limit) return;
    const start = queue.shift();
    if (start) {
      running++;
      start();
    }
  };
  return (fn, urgent = false) =>
    new Promise<void>((resolve, reject) => {
      const start = (): void => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            running--;
            next();
          });
      };
      if (urgent) queue.unshift(start);
      else queue.push(start);
      next();
    });
}

/** Realises ctx.plan; see the module comment for the order. */
export async function realise(ctx: RealiseContext): Promise<void> {
  const { plan } = ctx;
  const oriented: OrientedVeth[] = plan.veths.map((v) => ({ v, ends: orient(v.a, v.b) }));
  const keys = [...plan.namespaces.map((n) => n.key), ...(plan.rootIfaces.length > 0 ? [ROOT] : [])];
  const pending = new Map<string, number>(keys.map((k) => [k, 0]));
  for (const o of oriented) {
    for (const k of new Set([o.ends[0].ns, o.ends[1].ns])) {
      pending.set(k, (pending.get(k) ?? 0) + 1);
    }
  }
  const ready = new Set<string>();
  const queues = new Map<string, OrientedVeth[]>();
  const inFlight = new Set<string>();
  const configured = new Set<string>();
  const tasks: Promise<void>[] = [];
  const limit = limiter(ctx.concurrency);
  let failure: unknown;
  let nsDone = 0;
  let vethsDone = 0;
  let confDone = 0;

  const track = (p: Promise<void>): void => {
    tasks.push(
      p.catch((e: unknown) => {
        failure ??= e;
      }),
    );
  };
  const maybeConfigure = (key: string): void => {
    if (failure !== undefined || configured.has(key) || !ready.has(key) || (pending.get(key) ?? 0) > 0)
      return;
    configured.add(key);
    track(
      limit(async () => {
        if (failure !== undefined) return;
        await configureNs(ctx, key);
        ctx.progress({ phase: 'configure', done: ++confDone, total: keys.length });
      }, true),
    );
  };
  const flush = (creator: string): void => {
    if (failure !== undefined || inFlight.has(creator)) return;
    const q = queues.get(creator);
    if (!q || q.length === 0) return;
    const chunk = q.splice(0, CHUNK);
    inFlight.add(creator);
    track(
      createVethChunk(ctx, creator, chunk).then(() => {
        inFlight.delete(creator);
        vethsDone += chunk.length;
        ctx.progress({ phase: 'links', done: vethsDone, total: oriented.length });
        for (const o of chunk) {
          for (const k of new Set([o.ends[0].ns, o.ends[1].ns])) {
            pending.set(k, (pending.get(k) ?? 0) - 1);
            maybeConfigure(k);
          }
        }
        flush(creator);
      }),
    );
  };
  const onReady = (key: string): void => {
    ready.add(key);
    if (ready.size < keys.length) return;
    for (const o of oriented) {
      const c = o.ends[0].ns;
      let q = queues.get(c);
      if (!q) queues.set(c, (q = []));
      q.push(o);
    }
    for (const c of queues.keys()) flush(c);
    for (const k of keys) maybeConfigure(k);
  };

  if (keys.includes(ROOT)) {
    track(createBridgesIn(ctx, ROOT).then(() => onReady(ROOT)));
  }
  const nsChunk = Math.max(1, Math.min(NS_CHUNK, Math.ceil(plan.namespaces.length / ctx.concurrency)));
  for (let i = 0; i < plan.namespaces.length; i += nsChunk) {
    const group = plan.namespaces.slice(i, i + nsChunk);
    track(
      limit(async () => {
        if (failure !== undefined) return;
        await createNamespaces(ctx, group);
        nsDone += group.length;
        ctx.progress({ phase: 'namespaces', done: nsDone, total: plan.namespaces.length });
        for (const p of group) {
          await createBridgesIn(ctx, p.key);
          onReady(p.key);
        }
      }),
    );
  }
  // tasks grows while we wait; a task's follow-ups are queued before it settles
  for (let i = 0; i < tasks.length; i++) await tasks[i];
  if (failure !== undefined) throw failure;
  if (plan.bridges.length > 0)
    ctx.progress({ phase: 'bridges', done: plan.bridges.length, total: plan.bridges.length });
  await shape(ctx);
}
