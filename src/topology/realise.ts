/**
 * Executes a {@link Plan} through in-process netlink: namespaces made natively in parallel,
 * then one batched netlink transaction per namespace and phase (bridges, veth pairs with the
 * peer created directly in its namespace, device configuration, addresses, routes, shaping).
 * Every step is recorded in the journal so a failure or destroy undoes exactly what was done.
 */
import { NetlinkError, TopologyError } from '../errors.js';
import { logger } from '../logger.js';
import { addAddress, addRoute } from '../netlink/address.js';
import { deleteLink, getLink, newLink, setLink, type LinkSpec as NlLinkSpec } from '../netlink/link.js';
import { NamedNamespace } from '../netlink/netns.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import { FABRIC, ROOT, type Plan, type PlanIface, type PlanNamespace, type PlanVeth } from './plan.js';
import { shapingRequests } from './shaping.js';

/** One recorded step of a realisation. */
export interface Step {
  kind: 'namespace' | 'bridge' | 'veth' | 'vxlan' | 'ifb' | 'configure' | 'shaping' | 'program' | 'process';
  /** Namespace key (host name, '@fabric', '@root'). */
  ns: string;
  /** What was created. */
  name: string;
  /** Undo action; absent when deleting the namespace undoes it. */
  undo?: () => Promise<void>;
}

/** Progress of a realisation or destruction. */
export interface ProgressEvent {
  phase: 'namespaces' | 'bridges' | 'links' | 'configure' | 'shaping' | 'programs' | 'destroy';
  done: number;
  total: number;
}

/** The live state a realisation works on. */
export interface RealiseContext {
  plan: Plan;
  namespaces: Map<string, NamedNamespace>;
  root?: NetlinkSocket;
  openRoot: () => Promise<NetlinkSocket>;
  /** ifindexes the kernel chose (root namespace, veth peers of root devices), by `ns/name`. */
  indexes: Map<string, number>;
  journal: Step[];
  concurrency: number;
  progress: (e: ProgressEvent) => void;
}

const CHUNK = 256;

/** Runs fn over items with at most `limit` in flight; waits for all in flight before throwing. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}

async function socketOf(ctx: RealiseContext, key: string): Promise<NetlinkSocket> {
  if (key === ROOT) return ctx.openRoot();
  const ns = ctx.namespaces.get(key);
  if (!ns) throw new TopologyError(`namespace ${key} was not created`);
  return ns.socket();
}

async function sendAll(ctx: RealiseContext, key: string, reqs: NetlinkRequest[]): Promise<void> {
  const sock = await socketOf(ctx, key);
  for (let i = 0; i < reqs.length; i += CHUNK) await sock.batch(reqs.slice(i, i + CHUNK));
}

/** The ifindex of an interface (planned in owned namespaces, else looked up once by name). */
async function indexOf(
  ctx: RealiseContext,
  key: string,
  name: string,
  plannedIndex: number,
): Promise<number> {
  const known = ctx.indexes.get(`${key}/${name}`);
  if (known) return known;
  if (key !== ROOT && plannedIndex > 0) return plannedIndex;
  const l = await getLink(await socketOf(ctx, key), name);
  if (!l) throw new TopologyError(`interface ${name} is missing from ${where(key)}`);
  ctx.indexes.set(`${key}/${name}`, l.index);
  return l.index;
}

function rootUndo(ctx: RealiseContext, name: string): () => Promise<void> {
  return async () => {
    const sock = await ctx.openRoot();
    if (await getLink(sock, name)) await sock.request(deleteLink(name).message, `delete link ${name}`);
  };
}

/** Groups items by namespace key, preserving order. */
function byNs<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(it);
  }
  return m;
}

const where = (ns: string): string => (ns === FABRIC ? 'fabric' : ns === ROOT ? 'root' : ns);

/**
 * Creates namespaces in order in one native call (see NamedNamespace.createMany), journals
 * each one made, then writes their sysctls. The first failure is thrown after the journal has
 * every namespace that exists.
 */
export async function createNamespaces(ctx: RealiseContext, ps: readonly PlanNamespace[]): Promise<void> {
  const { created, error } = await NamedNamespace.createMany(ps.map((p) => p.name));
  created.forEach((ns, i) => {
    const p = ps[i] as PlanNamespace;
    ctx.namespaces.set(p.key, ns);
    ctx.journal.push({ kind: 'namespace', ns: p.key, name: p.name });
  });
  if (error) throw error;
  for (const [i, ns] of created.entries()) {
    const p = ps[i] as PlanNamespace;
    if (p.sysctls.length > 0) await ns.sysctl(Object.fromEntries(p.sysctls));
  }
}

/** Creates the bridges of one namespace. */
export async function createBridgesIn(ctx: RealiseContext, key: string): Promise<void> {
  for (const b of ctx.plan.bridges.filter((x) => x.ns === key)) {
    const spec: NlLinkSpec = { kind: 'bridge', name: b.name, index: b.index, up: true, stp: b.stp };
    if (b.mtu) spec.mtu = b.mtu;
    if (b.mac) spec.mac = b.mac;
    await sendAll(ctx, key, [newLink(spec, `${b.path}: create bridge ${b.name} in ${where(key)}`)]);
    ctx.journal.push({
      kind: 'bridge',
      ns: key,
      name: b.name,
      ...(key === ROOT ? { undo: rootUndo(ctx, b.name) } : {}),
    });
  }
}

/** A veth with its ends in creation order: [the end whose namespace makes it, the peer]. */
export interface OrientedVeth {
  v: PlanVeth;
  ends: [PlanIface, PlanIface];
}

/** Orientation of a veth: the end whose namespace makes it (bridge side first). */
export function orient(a: PlanIface, b: PlanIface): [PlanIface, PlanIface] {
  const rank = (x: PlanIface): number => (x.ns === ROOT ? 0 : x.ns === FABRIC ? 1 : x.master ? 2 : 3);
  return rank(b) < rank(a) ? [b, a] : [a, b];
}

/**
 * Creates veth pairs from namespace `key` in one netlink batch, each with its peer made inside
 * the peer's namespace (which must exist).
 */
export async function createVethChunk(
  ctx: RealiseContext,
  key: string,
  items: OrientedVeth[],
): Promise<void> {
  const reqs: NetlinkRequest[] = [];
  for (const { v, ends } of items) {
    const [mine, peer] = ends;
    const spec: NlLinkSpec = {
      kind: 'veth',
      name: mine.name,
      index: mine.index,
      up: true,
      // one queue each: see LinkCommon.txQueues (an RCU grace period per end otherwise)
      txQueues: 1,
      peer: { name: peer.name, index: peer.index, txQueues: 1 },
    };
    if (mine.mtu) spec.mtu = mine.mtu;
    if (mine.mac) spec.mac = mine.mac;
    if (mine.master) {
      const br = ctx.plan.bridges.find((b) => b.ns === key && b.name === mine.master);
      spec.master = await indexOf(ctx, key, mine.master, br?.index ?? 0);
    }
    if (peer.mtu) spec.peer.mtu = peer.mtu;
    if (peer.mac) spec.peer.mac = peer.mac;
    if (peer.ns !== key) {
      const pns = ctx.namespaces.get(peer.ns);
      if (!pns) throw new TopologyError(`namespace of ${peer.path} was not created`);
      spec.peer.nsFd = pns.fd();
    }
    reqs.push(
      newLink(
        spec,
        `${v.path}: create veth ${mine.name} (${where(key)}) <-> ${peer.name} (${where(peer.ns)})`,
      ),
    );
  }
  const sock = await socketOf(ctx, key);
  try {
    await sock.batch(reqs);
  } finally {
    // record what exists even when a later message of the batch failed
    for (const { ends } of items) {
      const exists = key !== ROOT || (await getLink(sock, ends[0].name)) !== undefined;
      if (!exists) continue;
      // the kernel applies a requested peer ifindex only when the device's own is given
      if (key === ROOT) {
        const peer = await getLink(await socketOf(ctx, ends[1].ns), ends[1].name);
        if (peer) ctx.indexes.set(`${ends[1].ns}/${ends[1].name}`, peer.index);
      }
      ctx.journal.push({
        kind: 'veth',
        ns: key,
        name: ends[0].name,
        ...(key === ROOT ? { undo: rootUndo(ctx, ends[0].name) } : {}),
      });
    }
  }
}

/** The veth ends of a plan by namespace: every end, and the peers (the ends not creating). */
interface NsEnds {
  ends: PlanIface[];
  peers: PlanIface[];
}
const endsByPlan = new WeakMap<Plan, Map<string, NsEnds>>();

/** The veth ends in namespace `key` (indexed once per plan: configuring N namespaces is O(N)). */
function endsIn(plan: Plan, key: string): NsEnds {
  let m = endsByPlan.get(plan);
  if (!m) {
    const index = new Map<string, NsEnds>();
    const get = (k: string): NsEnds => {
      let e = index.get(k);
      if (!e) index.set(k, (e = { ends: [], peers: [] }));
      return e;
    };
    for (const v of plan.veths) {
      for (const e of [v.a, v.b]) get(e.ns).ends.push(e);
      const peer = orient(v.a, v.b)[1];
      get(peer.ns).peers.push(peer);
    }
    endsByPlan.set(plan, (m = index));
  }
  return m.get(key) ?? { ends: [], peers: [] };
}

/**
 * Configures one namespace in one batch: lo and the veth peers up (and enslaved), ifb and vxlan
 * devices, addresses, routes. Every veth touching the namespace must exist.
 */
export async function configureNs(ctx: RealiseContext, key: string): Promise<void> {
  const { plan } = ctx;
  const mine = endsIn(plan, key);
  const reqs: NetlinkRequest[] = [];
  const ifaces: PlanIface[] = [];
  if (key !== ROOT) reqs.push(setLink(1, { up: true }, `${where(key)}: set lo up`));
  for (const p of mine.peers) {
    const change: { up: boolean; master?: number } = { up: true };
    if (p.master) {
      const br = plan.bridges.find((b) => b.ns === key && b.name === p.master);
      change.master = await indexOf(ctx, key, p.master, br?.index ?? 0);
    }
    reqs.push(setLink(await indexOf(ctx, key, p.name, p.index), change, `${p.path}: set ${p.name} up`));
  }
  for (const f of plan.ifbs.filter((x) => x.ns === key)) {
    reqs.push(
      newLink({ kind: 'ifb', name: f.name, index: f.index, up: true }, `${f.path}: create ifb ${f.name}`),
    );
    ctx.journal.push({ kind: 'ifb', ns: key, name: f.name });
  }
  for (const x of plan.vxlans.filter((v) => v.ns === key)) {
    const spec: NlLinkSpec = {
      kind: 'vxlan',
      name: x.name,
      index: x.index,
      vni: x.vni,
      up: true,
      port: x.port,
    };
    if (x.remote) spec.remote = x.remote;
    if (x.group) spec.group = x.group;
    if (x.local) spec.local = x.local;
    if (x.learning !== undefined) spec.learning = x.learning;
    if (x.external) spec.external = true;
    if (x.mtu) spec.mtu = x.mtu;
    if (x.mac) spec.mac = x.mac;
    if (x.device) spec.device = lookupPlanned(ctx, key, x.device);
    if (x.master) spec.master = lookupPlanned(ctx, key, x.master);
    reqs.push(newLink(spec, `${x.path}: create vxlan ${x.name} (vni ${x.vni})`));
    ctx.journal.push({ kind: 'vxlan', ns: key, name: x.name });
    ifaces.push(x);
  }
  ifaces.push(...plan.bridges.filter((b) => b.ns === key));
  ifaces.push(...mine.ends);
  for (const i of ifaces) {
    for (const a of i.addresses) {
      const idx = await indexOf(ctx, key, i.name, i.index);
      reqs.push(addAddress(idx, a, { dev: `${i.name} (${i.path})` }));
    }
  }
  for (const r of plan.routes.filter((x) => x.ns === key)) {
    const spec: Parameters<typeof addRoute>[0] = { dst: r.dst };
    if (r.via) spec.via = r.via;
    if (r.dev) spec.oif = lookupPlanned(ctx, key, r.dev);
    if (r.metric !== undefined) spec.metric = r.metric;
    reqs.push(
      addRoute(
        spec,
        `${r.path}: add route ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`,
      ),
    );
  }
  await sendAll(ctx, key, reqs);
  ctx.journal.push({ kind: 'configure', ns: key, name: where(key) });
}

/** The planned ifindex of a device in an owned namespace. */
function lookupPlanned(ctx: RealiseContext, key: string, name: string): number {
  const known = ctx.indexes.get(`${key}/${name}`);
  if (known) return known;
  const { plan } = ctx;
  const all: PlanIface[] = [
    ...plan.bridges,
    ...plan.vxlans,
    ...plan.ifbs,
    ...plan.veths.flatMap((v) => [v.a, v.b]),
  ];
  const f = all.find((i) => i.ns === key && i.name === name);
  if (!f) throw new TopologyError(`no interface ${name} in ${where(key)}`);
  return f.index;
}

/** Phase 5: shaping qdiscs on both ends of shaped links. */
export async function shape(ctx: RealiseContext): Promise<void> {
  const shaped = ctx.plan.veths.filter((v) => v.shaping);
  const reqs: { key: string; req: NetlinkRequest }[] = [];
  for (const v of shaped) {
    for (const e of [v.a, v.b]) {
      const idx = await indexOf(ctx, e.ns, e.name, e.index);
      for (const req of shapingRequests(
        idx,
        v.shaping ?? { qdisc: 'tbf', burst: 0 },
        `${e.name} (${v.path})`,
      )) {
        reqs.push({ key: e.ns, req });
      }
      ctx.journal.push({ kind: 'shaping', ns: e.ns, name: e.name });
    }
  }
  const groups = byNs(reqs, (r) => r.key);
  await pool([...groups], ctx.concurrency, async ([key, rs]) =>
    sendAll(
      ctx,
      key,
      rs.map((r) => r.req),
    ),
  );
  if (shaped.length) ctx.progress({ phase: 'shaping', done: shaped.length, total: shaped.length });
}

/** Logs and swallows an error of an undo step (destroy keeps going). */
export function undoFailed(step: Step, e: unknown): void {
  logger().warn('topology undo step failed', {
    step: `${step.kind} ${step.name} in ${where(step.ns)}`,
    error: e instanceof NetlinkError ? e.message : String(e),
  });
}
