/**
 * Installing, changing and removing one interface direction of a `tsbcc ratelimit` policy, each
 * step recorded (ratelimit-record.ts) before the kernel objects it makes:
 *
 * - install: the prefix classifier (src/recipes/prefix-classifier.ts) is loaded, its maps are
 *   pinned and filled, then {@link RateLimit} builds the htb classes (via an ifb for ingress),
 *   or the per-class police filters (strategy police), with `keep`, so everything outlives the
 *   command; the filters the kernel created are recorded.
 * - reconcile: classes are added, changed or deleted (htb classes, or police filters:
 *   ratelimit-police.ts) and the tries updated in place; the classifier's filter and program stay.
 * - remove: what the record names — the htb qdisc 1: (egress), or the redirect filter, the ifb
 *   device and a clsact that was not there before (ingress), or the police filters and a clsact
 *   that was not there before — and the pins.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { namespaceGone } from '../netlink/device.js';
import { deleteLink } from '../netlink/link.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { deleteClass } from '../netlink/tc/class.js';
import { filterRequest } from '../netlink/tc/filter.js';
import { deleteQdisc } from '../netlink/tc/qdisc.js';
import { HOOK_QDISC_HANDLE, TC_H, tcHandle } from '../netlink/tc/tca.js';
import { formatRate } from '../netlink/tc/units.js';
import {
  loadPrefixClassifier,
  PREFIX_CLASSIFIER_MAPS,
  PrefixClassifierMaps,
  type TriePrefix,
} from '../recipes/prefix-classifier.js';
import { RateLimit } from '../recipes/rate-limit.js';
import { chooseStrategy, type StrategyChoice } from '../recipes/rate-limit-strategy.js';
import { features } from '../features/probe.js';
import { TcDevice } from '../tc/device.js';
import { parentName, TcFilterLink } from '../tc/filter.js';
import { parsePrefix, type PolicyDirection } from './ratelimit-policy.js';
import {
  dropPoliceClass,
  policeClassifierInPlace,
  putPoliceClass,
  removePoliceFilters,
} from './ratelimit-police.js';
import {
  RATELIMIT_PIN_ROOT,
  testPoint,
  writeRecord,
  type RatelimitRecord,
  type RecordClass,
  type RecordDirection,
  type RecordFilter,
} from './ratelimit-record.js';

const HTB_MAJOR = 0x10000;
/** Names of the filters RateLimit makes (tsbcc: prefixed by src/tc). */
const CLASSIFY_NAME = 'tsbcc:ratelimit-classify';
const REDIRECT_NAME = 'tsbcc:ratelimit-redirect';

/** A policy prefix text as the tries key it. */
export function triePrefix(text: string): TriePrefix {
  const p = parsePrefix(text);
  if ('error' in p) throw new InvalidArgumentError(p.error);
  return { family: p.family, address: p.bytes, length: p.length };
}

/** The canonical text of a trie prefix (`10.0.0.5/32` is written `10.0.0.5`). */
export function prefixText(p: TriePrefix): string {
  let addr: string;
  if (p.family === 4) addr = [...p.address].join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(p.address.readUInt16BE(i).toString(16));
    // the longest run of zero groups becomes ::
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j;
    }
    addr =
      best < 0
        ? groups.join(':')
        : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  }
  return p.length === (p.family === 4 ? 32 : 128) ? addr : `${addr}/${p.length}`;
}

/** The classes and entries a policy direction asks for, with minors (kept from `old` by name). */
export function planDirection(
  want: PolicyDirection,
  old: RecordDirection | undefined,
): Pick<RecordDirection, 'classes' | 'entries' | 'defaultClass' | 'match'> {
  const used = new Set<number>();
  const keep = new Map<string, number>();
  for (const c of old?.classes ?? []) if (c.address === undefined) keep.set(c.name, c.minor);
  for (const c of want.classes) {
    const m = keep.get(c.name);
    if (m !== undefined) used.add(m);
  }
  // minors of classes that go are not reused in the same apply (their deletion comes last)
  for (const c of old?.classes ?? []) used.add(c.minor);
  let next = 1;
  const classes: RecordClass[] = want.classes.map((c) => {
    let minor = keep.get(c.name);
    if (minor === undefined) {
      while (used.has(next)) next++;
      minor = next;
      used.add(minor);
    }
    return {
      name: c.name,
      minor,
      rate: c.rate,
      ...(c.ceil !== undefined ? { ceil: c.ceil } : {}),
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
    };
  });
  const entries = want.classes.flatMap((c) =>
    c.prefixes.map((p) => ({
      prefix: prefixText({ family: p.family, address: p.bytes, length: p.length }),
      class: c.name,
    })),
  );
  return {
    classes,
    entries,
    match: want.match,
    ...(want.defaultClass !== undefined ? { defaultClass: want.defaultClass } : {}),
  };
}

/** A free class minor of a direction (for a class `set` makes). */
export function freeMinor(d: RecordDirection): number {
  const used = new Set(d.classes.map((c) => c.minor));
  for (let m = 1; m < 0xffff; m++) if (!used.has(m)) return m;
  throw new InvalidArgumentError(`${d.interface} ${d.direction}: no free class id`);
}

/** The minor of a class name in a direction (0 when absent). */
export function minorOf(d: RecordDirection, name: string | undefined): number {
  return name === undefined ? 0 : (d.classes.find((c) => c.name === name)?.minor ?? 0);
}

/** Writes the tries and the config of a direction so they hold exactly its entries and default. */
export function syncMaps(
  maps: PrefixClassifierMaps,
  d: RecordDirection,
): { added: number; changed: number; removed: number } {
  const want = new Map<string, { p: TriePrefix; minor: number }>();
  for (const e of d.entries) {
    const p = triePrefix(e.prefix);
    want.set(prefixText(p), { p, minor: minorOf(d, e.class) });
  }
  const counts = { added: 0, changed: 0, removed: 0 };
  const have = new Map(maps.entries().map((e) => [prefixText(e), e]));
  for (const [text, w] of want) {
    const h = have.get(text);
    if (h && h.minor === w.minor) continue;
    maps.set(w.p, w.minor);
    counts[h ? 'changed' : 'added']++;
  }
  for (const [text, h] of have) {
    if (!want.has(text)) {
      maps.delete(h);
      counts.removed++;
    }
  }
  maps.configure(minorOf(d, d.defaultClass), d.match === 'destination', d.strategy === 'police');
  return counts;
}

/** The device the htb classes are on: the ifb for ingress, else the interface. */
export function shapedInterface(d: RecordDirection): string {
  return d.ifb ?? d.interface;
}

/**
 * The mechanism for a policy direction on this kernel (RateLimit's choice for classes: `auto`
 * shapes wherever htb is usable, else polices where act_police exists).
 * @throws NotSupportedError naming what the kernel lacks for what was asked.
 */
export async function directionStrategy(
  want: Pick<PolicyDirection, 'direction' | 'strategy'>,
): Promise<StrategyChoice> {
  const f = await features();
  const asked = want.strategy === 'shape' ? 'htb' : want.strategy;
  const c = chooseStrategy({ direction: want.direction, strategy: asked, single: false }, (n) => f.has(n));
  // the policy's word for htb is shape
  return want.strategy === 'shape'
    ? { ...c, reason: c.reason.replace(/^htb was asked for/, 'shape was asked for') }
    : c;
}

/** Plans a direction not installed before (names chosen, nothing made). */
export async function planNewDirection(
  want: PolicyDirection,
  pinDir: string,
  netns: string | undefined,
  choice: StrategyChoice,
): Promise<RecordDirection> {
  const d: RecordDirection = {
    interface: want.interface,
    direction: want.direction,
    pinDir,
    complete: false,
    asked: want.strategy,
    strategy: choice.strategy,
    reason: choice.reason,
    ...planDirection(want, undefined),
  };
  if (want.direction === 'ingress' || choice.strategy === 'police') {
    if (choice.strategy === 'ifb+htb') d.ifb = `rl${randomBytes(3).toString('hex')}`;
    const dev = await TcDevice.open({ interface: want.interface, netns });
    try {
      d.hookBefore = (await dev.qdiscs()).some((q) => q.kind === 'clsact' || q.kind === 'ingress');
    } finally {
      dev.close();
    }
  }
  return d;
}

/**
 * Refuses (before anything is made) an egress direction whose interface has a root qdisc that
 * is not the kernel's default: htb would have to replace it, and rm could not give it back.
 * @returns the problem in words, or undefined.
 */
export async function rootQdiscProblem(
  ifname: string,
  netns: string | undefined,
): Promise<string | undefined> {
  const dev = await TcDevice.open({ interface: ifname, netns });
  try {
    const root = (await dev.qdiscs()).find((q) => q.parent === TC_H.ROOT);
    if (root && root.handle !== 0) {
      return `${ifname} has a root qdisc ${root.kind} ${(root.handle >>> 16).toString(16)}: already; tsbcc ratelimit installs htb there and would replace it (remove it first)`;
    }
    return undefined;
  } finally {
    dev.close();
  }
}

function filterRecord(l: TcFilterLink): RecordFilter {
  return {
    parent: parentName(l.info.parent),
    priority: l.info.priority,
    handle: l.info.handle,
    programId: l.programId,
  };
}

/**
 * Installs a planned direction (already in `rec`, which is written before each step).
 * On failure everything it made is removed again and the error is thrown.
 */
export async function installDirection(
  rec: RatelimitRecord,
  d: RecordDirection,
  netns: string | undefined,
): Promise<void> {
  writeRecord(rec);
  const loaded = await loadPrefixClassifier();
  try {
    for (const name of PREFIX_CLASSIFIER_MAPS) loaded.object.pinMap(name, join(d.pinDir, name));
    syncMaps(loaded.maps, d);
    await testPoint('pinned');
    const limit = await RateLimit.create({
      interface: d.interface,
      ...(netns !== undefined ? { netns } : {}),
      direction: d.direction,
      strategy: d.strategy === 'police' ? 'police' : 'htb',
      classes: d.classes.map((c) => ({
        classid: tcHandle(HTB_MAJOR, c.minor),
        rate: c.rate,
        ...(c.ceil !== undefined ? { ceil: c.ceil } : {}),
        ...(c.burst !== undefined ? { burst: c.burst } : {}),
      })),
      classifier: loaded.program,
      ...(d.ifb ? { ifbName: d.ifb } : {}),
      keep: true,
    });
    await testPoint('installed');
    for (const l of limit.links) {
      if (!(l instanceof TcFilterLink)) continue;
      if (l.info.name === CLASSIFY_NAME) d.classifier = filterRecord(l);
      if (l.info.name === REDIRECT_NAME) d.redirect = filterRecord(l);
    }
    d.complete = true;
    writeRecord(rec);
  } catch (e) {
    await removeDirection(d, netns).catch(() => undefined);
    throw e;
  } finally {
    loaded.maps.close();
    loaded.object.close(); // the filter holds the program; the pins hold the maps
  }
}

async function run(nsPath: string, requests: NetlinkRequest[]): Promise<void> {
  for (const r of await transactIn(nsPath, requests)) {
    if (r instanceof NetlinkError && r.errno !== ERRNO.ENOENT && r.errno !== ERRNO.ENODEV) throw r;
  }
}

/** Whether the direction's classifier filter still runs the recorded program. */
export async function classifierInPlace(d: RecordDirection, netns: string | undefined): Promise<boolean> {
  if (!d.complete || !d.classifier) return false;
  if (d.strategy === 'police') return policeClassifierInPlace(d, netns);
  let dev: TcDevice;
  try {
    dev = await TcDevice.open({ interface: shapedInterface(d), netns });
  } catch {
    return false;
  }
  try {
    const fs = await dev.filters('1:');
    const ok = fs.some((f) => f.handle === d.classifier?.handle && f.programId === d.classifier.programId);
    if (!ok || d.direction === 'egress') return ok;
    const hook = await TcDevice.open({ interface: d.interface, netns });
    try {
      return (await hook.filters('ingress')).some(
        (f) => f.name === REDIRECT_NAME && f.programId === d.redirect?.programId,
      );
    } finally {
      hook.close();
    }
  } finally {
    dev.close();
  }
}

/** Adds or changes (replace) an htb class of a direction. */
export async function putClass(
  d: RecordDirection,
  c: RecordClass,
  netns: string | undefined,
  replace: boolean,
): Promise<void> {
  if (d.strategy === 'police') return putPoliceClass(d, c, netns, replace);
  const dev = await TcDevice.open({ interface: shapedInterface(d), netns });
  try {
    await dev.addClass({
      classid: tcHandle(HTB_MAJOR, c.minor),
      parent: '1:',
      rate: c.rate,
      ...(c.ceil !== undefined ? { ceil: c.ceil } : {}),
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
      keep: true,
      replace,
    });
  } finally {
    dev.close();
  }
}

/** Deletes an htb class of a direction (gone already is fine). */
export async function dropClass(d: RecordDirection, minor: number, netns: string | undefined): Promise<void> {
  if (d.strategy === 'police') return dropPoliceClass(d, minor, netns);
  const dev = await TcDevice.open({ interface: shapedInterface(d), netns });
  try {
    await run(dev.nsPath, [
      {
        message: deleteClass(dev.ifindex, tcHandle(HTB_MAJOR, minor), HTB_MAJOR),
        operation: `delete htb class 1:${minor.toString(16)} on ${dev.description}`,
      },
    ]);
  } finally {
    dev.close();
  }
}

/** What a reconcile changed. */
export interface ReconcileReport {
  classesAdded: string[];
  classesChanged: string[];
  classesRemoved: string[];
  entries: { added: number; changed: number; removed: number };
}

const sameRates = (a: RecordClass, b: RecordClass): boolean =>
  a.rate === b.rate && a.ceil === b.ceil && a.burst === b.burst;

/**
 * Changes an installed direction to `next` in place: new classes first, then the tries, then
 * the classes that went. The classifier's filter and program stay.
 */
export async function reconcileDirection(
  old: RecordDirection,
  next: RecordDirection,
  netns: string | undefined,
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    classesAdded: [],
    classesChanged: [],
    classesRemoved: [],
    entries: { added: 0, changed: 0, removed: 0 },
  };
  for (const c of next.classes) {
    const was = old.classes.find((o) => o.minor === c.minor);
    if (!was) {
      // create-or-replace: a reconcile that failed after adding it can be run again
      await putClass(next, c, netns, true);
      report.classesAdded.push(c.name);
    } else if (!sameRates(was, c)) {
      await putClass(next, c, netns, true);
      report.classesChanged.push(c.name);
    }
  }
  await testPoint('reconcile');
  const maps = PrefixClassifierMaps.openPinned(next.pinDir);
  try {
    report.entries = syncMaps(maps, next);
  } finally {
    maps.close();
  }
  for (const c of old.classes) {
    if (next.classes.some((n) => n.minor === c.minor)) continue;
    await dropClass(next, c.minor, netns);
    report.classesRemoved.push(c.name);
  }
  return report;
}

/** Unlinks the pins of a direction and the directories left empty (up to bpffs' root). */
function removePins(pinDir: string): void {
  for (const name of PREFIX_CLASSIFIER_MAPS) {
    try {
      unlinkSync(join(pinDir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const top = dirname(RATELIMIT_PIN_ROOT); // /sys/fs/bpf/tsbcc
  for (let dir = pinDir; dir.startsWith(`${top}/`) || dir === top; dir = dirname(dir)) {
    try {
      if (readdirSync(dir).length > 0) break;
      rmdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'ENOTEMPTY' || code === 'EBUSY') break;
      throw e;
    }
  }
}

/**
 * Removes what a (possibly half-made) direction installed, found by the names and handles in
 * the record; objects already gone are fine. The interface is left as it was before.
 */
export async function removeDirection(d: RecordDirection, netns: string | undefined): Promise<void> {
  try {
    const dev = await TcDevice.open({ interface: d.interface, netns }).catch((e: unknown) => {
      if (e instanceof InvalidArgumentError) return undefined; // the interface is gone
      throw e;
    });
    if (dev) {
      try {
        if (d.strategy === 'police') {
          await removePoliceFilters(d, dev);
        } else if (d.direction === 'egress') {
          const root = (await dev.qdiscs()).find((q) => q.parent === TC_H.ROOT);
          if (root?.kind === 'htb' && root.handle === HTB_MAJOR) {
            await run(dev.nsPath, [
              {
                message: deleteQdisc(dev.ifindex, 'htb', HTB_MAJOR, TC_H.ROOT),
                operation: `delete qdisc htb 1: on ${dev.description}`,
              },
            ]);
          }
        } else {
          const hooked = (await dev.qdiscs()).some((q) => q.kind === 'clsact' || q.kind === 'ingress');
          if (hooked) {
            const mine = (await dev.filters('ingress')).filter(
              (f) =>
                f.name === REDIRECT_NAME &&
                (d.redirect === undefined || f.programId === d.redirect.programId),
            );
            await run(
              dev.nsPath,
              mine.map((f) => ({
                message: filterRequest('delete', dev.ifindex, f),
                operation: `delete filter ${f.name ?? ''} on ${dev.description}`,
              })),
            );
          }
          if (d.ifb) {
            const idx = await dev.indexOf(d.ifb).catch(() => 0);
            if (idx) await run(dev.nsPath, [deleteLink(d.ifb, idx)]);
          }
          if (hooked && d.hookBefore === false) {
            const left = (await dev.filters('ingress')).length + (await dev.filters('egress')).length;
            if (left === 0) {
              await run(dev.nsPath, [
                {
                  message: deleteQdisc(dev.ifindex, 'clsact', HOOK_QDISC_HANDLE, TC_H.CLSACT),
                  operation: `delete qdisc clsact on ${dev.description}`,
                },
              ]);
            }
          }
        }
      } finally {
        dev.close();
      }
    }
  } catch (e) {
    if (!namespaceGone(e)) throw e;
  }
  await testPoint('rm');
  removePins(d.pinDir);
}

/** A class's rates in words (`4Mbit`, `ceil 8Mbit`). */
export function classRates(c: RecordClass): string {
  return `${formatRate(c.rate)}${c.ceil !== undefined ? ` ceil ${formatRate(c.ceil)}` : ''}${
    c.burst !== undefined ? ` burst ${c.burst}b` : ''
  }`;
}
