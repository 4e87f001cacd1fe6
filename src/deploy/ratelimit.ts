/**
 * `tsbcc ratelimit`'s operations on a namespace: apply a policy (install, or reconcile what is
 * installed), set/unset one address's class, and remove everything recorded. Each checks all
 * it can before changing anything, and writes the record (ratelimit-record.ts) before the
 * kernel objects it makes.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import type { StrategyChoice } from '../recipes/rate-limit-strategy.js';
import { parseRate } from '../netlink/tc/units.js';
import { PrefixClassifierMaps } from '../recipes/prefix-classifier.js';
import { checkPolicyHere, hostInterfaces } from './ratelimit-host.js';
import {
  classifierInPlace,
  directionStrategy,
  dropClass,
  freeMinor,
  installDirection,
  planDirection,
  planNewDirection,
  prefixText,
  putClass,
  reconcileDirection,
  removeDirection,
  rootQdiscProblem,
  syncMaps,
  triePrefix,
  type ReconcileReport,
} from './ratelimit-install.js';
import { PolicyError, readPolicy, type PolicyDirection, type PolicyProblem } from './ratelimit-policy.js';
import { lockNamespace, type LockWaitNotice } from './ratelimit-lock.js';
import {
  namespaceKey,
  pinDirOf,
  readRecord,
  recordKeys,
  removeRecord,
  testPoint,
  writeRecord,
  writerAlive,
  type RatelimitRecord,
  type RecordDirection,
} from './ratelimit-record.js';

/** What apply did to one direction. */
export interface ApplyStep {
  interface: string;
  direction: 'ingress' | 'egress';
  action: 'installed' | 'reconciled' | 'reinstalled' | 'removed';
  /** The direction as recorded afterwards (absent when removed). */
  record?: RecordDirection;
  changes?: ReconcileReport;
}

const dirName = (d: { interface: string; direction: string }): string => `${d.interface} ${d.direction}`;

/**
 * The record of a namespace, for a change: refused while another process is changing it, or
 * when an earlier change did not finish (its process died: `rm` cleans it).
 */
function recordForChange(key: string, netns: string | undefined): RatelimitRecord | undefined {
  const rec = readRecord(key);
  if (!rec) return undefined;
  if (writerAlive(rec) && rec.status !== 'applied') {
    throw new InvalidArgumentError(
      `ratelimit in ${key} is being changed by process ${rec.pid}; try again when it is done`,
    );
  }
  if (rec.status !== 'applied') {
    throw new InvalidArgumentError(
      `an earlier ${rec.status === 'removing' ? 'rm' : 'apply'} in ${key} did not finish (process ${rec.pid} ended); run \`tsbcc ratelimit rm${netns !== undefined ? ` --netns ${netns}` : ''}\` to remove what it made`,
    );
  }
  return rec;
}

/**
 * Applies a policy file in a namespace: validates it completely (file, interfaces, IPv6, root
 * qdiscs of new egress directions), then installs new directions, reconciles installed ones in
 * place (classes and tries; the classifier stays) and removes directions the policy dropped.
 * @throws PolicyError listing every problem (nothing changed); InvalidArgumentError when the
 *   namespace is being changed or holds an unfinished apply.
 */
export async function applyPolicy(
  file: string,
  netns?: string,
  opts: { onWait?: LockWaitNotice } = {},
): Promise<ApplyStep[]> {
  const policy = readPolicy(file);
  await checkPolicyHere(policy, netns);
  const key = namespaceKey(netns);
  const unlock = await lockNamespace(key, opts.onWait);
  try {
    return await applyLocked(policy, file, key, netns);
  } finally {
    unlock();
  }
}

async function applyLocked(
  policy: ReturnType<typeof readPolicy>,
  file: string,
  key: string,
  netns: string | undefined,
): Promise<ApplyStep[]> {
  const rec = recordForChange(key, netns);
  const problems: PolicyProblem[] = [];
  const installedHere = (ifname: string, dir: string): RecordDirection | undefined =>
    rec?.directions.find((d) => d.interface === ifname && d.direction === dir);
  const choices = new Map<PolicyDirection, StrategyChoice>();
  for (const d of policy.directions) {
    try {
      choices.set(d, await directionStrategy(d));
    } catch (e) {
      if (!(e instanceof NotSupportedError || e instanceof InvalidArgumentError)) throw e;
      problems.push({
        path: `interfaces.${d.interface}.${d.direction}.strategy`,
        ...(d.interfaceAt ? { at: d.interfaceAt } : {}),
        message: `${d.strategy}: ${e.message}`,
      });
    }
  }
  for (const d of policy.directions) {
    const chosen = choices.get(d)?.strategy;
    if (chosen === 'police') {
      const borrowing = d.classes.find((c) => c.ceil !== undefined && c.ceil !== c.rate);
      if (borrowing) {
        problems.push({
          path: `interfaces.${d.interface}.${d.direction}.classes.${borrowing.name}.ceil`,
          ...(d.interfaceAt ? { at: d.interfaceAt } : {}),
          message: `${choices.get(d)?.reason ?? 'police'}: a policer cannot borrow up to a ceil`,
        });
      }
    }
    const old = installedHere(d.interface, d.direction);
    if (d.direction !== 'egress' || chosen !== 'htb' || old?.strategy === 'htb') continue;
    const p = await rootQdiscProblem(d.interface, netns);
    if (p)
      problems.push({
        path: `interfaces.${d.interface}.egress`,
        ...(d.interfaceAt ? { at: d.interfaceAt } : {}),
        message: p,
      });
  }
  if (problems.length) throw new PolicyError(problems);

  const record: RatelimitRecord = rec ?? {
    version: 1,
    key,
    ...(netns !== undefined ? { netns } : {}),
    status: 'applying',
    pid: 0,
    pidStart: '',
    updatedAt: '',
    directions: [],
  };
  record.status = 'applying';
  record.policy = file;
  const steps: ApplyStep[] = [];
  try {
    // directions the policy no longer has go first (their devices may be reused)
    for (const old of [...record.directions]) {
      if (policy.directions.some((d) => d.interface === old.interface && d.direction === old.direction))
        continue;
      writeRecord(record);
      await removeDirection(old, netns);
      record.directions = record.directions.filter((d) => d !== old);
      steps.push({ interface: old.interface, direction: old.direction, action: 'removed' });
    }
    for (const want of policy.directions) {
      const old = installedHere(want.interface, want.direction);
      const choice = choices.get(want)!;
      const sameStrategy =
        old?.strategy === choice.strategy || (old?.strategy === undefined && choice.strategy !== 'police');
      if (old && sameStrategy && (await classifierInPlace(old, netns))) {
        const next: RecordDirection = {
          ...old,
          ...planDirection(want, old),
          asked: want.strategy,
          strategy: choice.strategy,
          reason: choice.reason,
        };
        delete next.defaultClass;
        if (want.defaultClass !== undefined) next.defaultClass = want.defaultClass;
        writeRecord(record);
        const changes = await reconcileDirection(old, next, netns);
        record.directions[record.directions.indexOf(old)] = next;
        writeRecord(record);
        steps.push({
          interface: want.interface,
          direction: want.direction,
          action: 'reconciled',
          record: next,
          changes,
        });
        continue;
      }
      if (old) {
        // the classifier is gone (someone removed the filter), or the policy asks for another
        // strategy: start this direction again
        writeRecord(record);
        await removeDirection(old, netns);
        record.directions = record.directions.filter((d) => d !== old);
      }
      const planned = await planNewDirection(
        want,
        pinDirOf(key, want.interface, want.direction),
        netns,
        choice,
      );
      record.directions.push(planned);
      try {
        await installDirection(record, planned, netns);
      } catch (e) {
        record.directions = record.directions.filter((d) => d !== planned);
        throw e;
      }
      steps.push({
        interface: want.interface,
        direction: want.direction,
        action: old ? 'reinstalled' : 'installed',
        record: planned,
      });
    }
  } finally {
    record.status = 'applied';
    if (record.directions.length === 0) removeRecord(key);
    else writeRecord(record);
  }
  return steps;
}

/** Which installed direction a set/unset is for. */
export interface DirectionChoice {
  netns?: string;
  /** Called when another process holds the namespace's change lock (this one waits). */
  onWait?: LockWaitNotice;
  /** The interface (needed when more than one direction is installed). */
  interface?: string;
  direction?: 'ingress' | 'egress';
}

function pickDirection(rec: RatelimitRecord, c: DirectionChoice): RecordDirection {
  const fits = rec.directions.filter(
    (d) =>
      (c.interface === undefined || d.interface === c.interface) &&
      (c.direction === undefined || d.direction === c.direction),
  );
  if (fits.length === 1 && fits[0]) return fits[0];
  const all = rec.directions.map(dirName).join(', ');
  if (fits.length === 0)
    throw new InvalidArgumentError(`no such direction installed in ${rec.key} (there are: ${all})`);
  throw new InvalidArgumentError(`give --dev and --direction: ${rec.key} has ${all}`);
}

function installedRecord(netns: string | undefined): RatelimitRecord {
  const key = namespaceKey(netns);
  const rec = recordForChange(key, netns);
  if (!rec)
    throw new InvalidArgumentError(`nothing is installed in ${key} (run tsbcc ratelimit apply first)`);
  return rec;
}

/** What set/unset did. */
export interface SetResult {
  direction: RecordDirection;
  address: string;
  /** The class the address is in now (absent after unset). */
  class?: string;
}

/**
 * Puts an address or prefix into a class of an installed direction, or gives it its own class
 * of a rate (`target` a rate such as 3mbit): a map update (plus an htb class for a rate); the
 * classifier's filter and program are not touched. The longest prefix wins, so an address
 * inside a prefix of another class can be moved alone.
 * @throws InvalidArgumentError for a bad address, an unknown class or rate, an IPv6 address on
 *   an interface without IPv6, or when nothing is installed.
 */
export async function setAddress(
  address: string,
  target: string,
  choice: DirectionChoice = {},
): Promise<SetResult> {
  const unlock = await lockNamespace(namespaceKey(choice.netns), choice.onWait);
  try {
    return await setLocked(address, target, choice);
  } finally {
    unlock();
  }
}

async function setLocked(address: string, target: string, choice: DirectionChoice): Promise<SetResult> {
  const p = triePrefix(address);
  const text = prefixText(p);
  const rec = installedRecord(choice.netns);
  const d = pickDirection(rec, choice);
  if (p.family === 6) {
    const dev = (await hostInterfaces(choice.netns)).find((i) => i.name === d.interface);
    if (dev && !dev.ipv6) {
      throw new InvalidArgumentError(`${text} is IPv6, but ${d.interface} has no IPv6: it would never match`);
    }
  }
  const ownName = `=${text}`;
  const named = d.classes.find((c) => c.name === target && c.address === undefined);
  let rate: number | undefined;
  if (!named) {
    try {
      rate = parseRate(target, 'rate');
    } catch {
      throw new InvalidArgumentError(
        `"${target}" is neither a class of ${dirName(d)} (${d.classes
          .filter((c) => c.address === undefined)
          .map((c) => c.name)
          .join(', ')}) nor a rate such as 3mbit`,
      );
    }
    if (!(rate > 0))
      throw new InvalidArgumentError(`"${target}": a rate of 0 would stop the address's traffic`);
  }
  const own = d.classes.find((c) => c.address === text);
  rec.status = 'applying';
  writeRecord(rec);
  try {
    let cls = named?.name ?? ownName;
    if (rate !== undefined) {
      if (own) {
        own.rate = rate;
        await putClass(d, own, choice.netns, true);
      } else {
        const c = { name: ownName, minor: freeMinor(d), rate, address: text };
        d.classes.push(c);
        writeRecord(rec);
        await putClass(d, c, choice.netns, false);
      }
      cls = ownName;
    }
    await testPoint('set');
    d.entries = [
      ...d.entries.filter((e) => prefixText(triePrefix(e.prefix)) !== text),
      { prefix: text, class: cls },
    ];
    const maps = PrefixClassifierMaps.openPinned(d.pinDir);
    try {
      syncMaps(maps, d);
    } finally {
      maps.close();
    }
    if (own && named) {
      await dropClass(d, own.minor, choice.netns);
      d.classes = d.classes.filter((c) => c !== own);
    }
    return { direction: d, address: text, class: cls };
  } finally {
    rec.status = 'applied';
    writeRecord(rec);
  }
}

/**
 * Takes an address or prefix out of the tries of an installed direction (its traffic goes to
 * the default class, or a shorter prefix that holds it), and deletes its own class if `set`
 * gave it one.
 * @throws InvalidArgumentError when it is not in the tries, or nothing is installed.
 */
export async function unsetAddress(address: string, choice: DirectionChoice = {}): Promise<SetResult> {
  const unlock = await lockNamespace(namespaceKey(choice.netns), choice.onWait);
  try {
    return await unsetLocked(address, choice);
  } finally {
    unlock();
  }
}

async function unsetLocked(address: string, choice: DirectionChoice): Promise<SetResult> {
  const p = triePrefix(address);
  const text = prefixText(p);
  const rec = installedRecord(choice.netns);
  const d = pickDirection(rec, choice);
  if (!d.entries.some((e) => prefixText(triePrefix(e.prefix)) === text)) {
    throw new InvalidArgumentError(`${text} is not set in ${dirName(d)}`);
  }
  rec.status = 'applying';
  writeRecord(rec);
  try {
    d.entries = d.entries.filter((e) => prefixText(triePrefix(e.prefix)) !== text);
    const maps = PrefixClassifierMaps.openPinned(d.pinDir);
    try {
      syncMaps(maps, d);
    } finally {
      maps.close();
    }
    const own = d.classes.find((c) => c.address === text);
    if (own) {
      await dropClass(d, own.minor, choice.netns);
      d.classes = d.classes.filter((c) => c !== own);
    }
    return { direction: d, address: text };
  } finally {
    rec.status = 'applied';
    writeRecord(rec);
  }
}

/** What rm removed. */
export interface RemoveResult {
  key: string;
  directions: string[];
}

/**
 * Removes everything the record of a namespace (or, with `all`, of every namespace) lists,
 * also what an apply that was killed half-way made, then the record. Refused while another
 * process is changing it.
 */
export async function removeInstalled(
  opts: { netns?: string; all?: boolean; onWait?: LockWaitNotice } = {},
): Promise<RemoveResult[]> {
  const keys = opts.all ? recordKeys() : [namespaceKey(opts.netns)];
  const out: RemoveResult[] = [];
  for (const key of keys) {
    const unlock = await lockNamespace(key, opts.onWait);
    try {
      const r = await removeLocked(key, opts);
      if (r) out.push(r);
    } finally {
      unlock();
    }
  }
  return out;
}

async function removeLocked(
  key: string,
  opts: { netns?: string; all?: boolean },
): Promise<RemoveResult | undefined> {
  const rec = readRecord(key);
  if (!rec) return undefined;
  const netns = opts.all ? rec.netns : opts.netns;
  rec.status = 'removing';
  writeRecord(rec);
  const done: string[] = [];
  for (const d of [...rec.directions].reverse()) {
    await removeDirection(d, netns);
    rec.directions = rec.directions.filter((x) => x !== d);
    writeRecord(rec);
    done.push(dirName(d));
  }
  removeRecord(key);
  return { key, directions: done };
}
