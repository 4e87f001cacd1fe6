/**
 * Validation and resolution of a topology program's filter options (`programs[i].mode` and
 * `programs[i].options`) into a {@link PlanTcFilter}: the fields src/tc's `BpfFilterOptions`
 * takes, each checked the way src/tc checks it, every problem with its path
 * (`programs[0].options.actions[1].to: ...`). Pure; no kernel.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  parseHandle,
  parseRate,
  parseSize,
  TC_FILTER_NAME,
  TC_VERDICT_NAMES,
  type TcVerdictName,
} from '../netlink/tc-units.js';
import { interfaceNameProblem } from '../util/netns-path.js';
import type { PlanTcFilter } from './plan.js';
import type { TcProgramAction, TcProgramSpec } from './spec.js';

/** The verdict names an action takes. */
export const VERDICT_NAMES: readonly TcVerdictName[] = TC_VERDICT_NAMES;

/** The action kinds a topology program takes. */
export const PROGRAM_ACTION_KINDS: readonly TcProgramAction['kind'][] = ['mirred', 'police', 'gact'];

const CLASSID = /^[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The message of a tc-units parse error, or rethrows anything else. */
function parsed<T>(fn: () => T, path: string, add: (p: string, m: string) => void): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    add(path, e.message);
    return undefined;
  }
}

function handleOf(
  v: unknown,
  what: string,
  path: string,
  add: (p: string, m: string) => void,
): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') {
    add(path, `${what} must be a handle such as "1:10" or a number`);
    return undefined;
  }
  return parsed(() => parseHandle(v, what), path, add);
}

function intIn(
  v: unknown,
  lo: number,
  hi: number,
  what: string,
  path: string,
  add: (p: string, m: string) => void,
): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)) {
    add(path, `invalid filter ${what} ${JSON.stringify(v)}: ${lo}-${hi}`);
  }
}

function verdictOk(v: unknown, what: string, path: string, add: (p: string, m: string) => void): void {
  if (!VERDICT_NAMES.includes(v as TcVerdictName)) {
    add(path, `invalid ${what} verdict ${JSON.stringify(v)} (use ${VERDICT_NAMES.join(', ')})`);
  }
}

/** Checks one action; `device` records an interface the action needs in the program's host. */
function checkAction(
  a: unknown,
  path: string,
  add: (p: string, m: string) => void,
  device: (dev: string, path: string) => void,
): void {
  if (!isObj(a)) {
    add(path, `an action is a mapping with kind (${PROGRAM_ACTION_KINDS.join(', ')})`);
    return;
  }
  switch (a.kind) {
    case 'mirred': {
      if (a.mode !== 'redirect' && a.mode !== 'mirror') {
        add(`${path}.mode`, `invalid mirred mode ${JSON.stringify(a.mode)} (use redirect or mirror)`);
      }
      if (a.to === undefined) add(`${path}.to`, 'mirred needs the interface to send to (to)');
      else {
        const bad = interfaceNameProblem(a.to);
        if (bad) add(`${path}.to`, bad);
        else device(a.to as string, `${path}.to`);
      }
      if (a.direction !== undefined && a.direction !== 'egress' && a.direction !== 'ingress') {
        add(
          `${path}.direction`,
          `invalid mirred direction ${JSON.stringify(a.direction)} (use egress or ingress)`,
        );
      }
      return;
    }
    case 'police': {
      const num = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
      if (!num(a.rate)) add(`${path}.rate`, 'police needs a rate such as 1mbit');
      else parsed(() => parseRate(a.rate as string | number, 'police rate'), `${path}.rate`, add);
      if (!num(a.burst)) add(`${path}.burst`, 'police needs a burst such as 10k');
      else parsed(() => parseSize(a.burst as string | number, 'police burst'), `${path}.burst`, add);
      if (a.mtu !== undefined) {
        if (!num(a.mtu)) add(`${path}.mtu`, 'police mtu is a size such as 1500');
        else parsed(() => parseSize(a.mtu as string | number, 'police mtu'), `${path}.mtu`, add);
      }
      if (a.peakrate !== undefined) {
        if (!num(a.peakrate)) add(`${path}.peakrate`, 'police peakrate is a rate such as 2mbit');
        else
          parsed(() => parseRate(a.peakrate as string | number, 'police peakrate'), `${path}.peakrate`, add);
        if (a.mtu === undefined) add(`${path}.peakrate`, 'police peakrate needs an mtu');
      }
      if (a.conform !== undefined) verdictOk(a.conform, 'police conform', `${path}.conform`, add);
      if (a.exceed !== undefined) verdictOk(a.exceed, 'police exceed', `${path}.exceed`, add);
      return;
    }
    case 'gact':
      verdictOk(a.verdict, 'gact', `${path}.verdict`, add);
      return;
    case 'bpf':
      add(
        `${path}.kind`,
        'a bpf action needs a loaded SCHED_ACT program, which a testbed cannot describe (attach it with TcDevice.attachBpf)',
      );
      return;
    default:
      add(
        `${path}.kind`,
        `unknown action kind ${JSON.stringify(a.kind)} (use ${PROGRAM_ACTION_KINDS.join(', ')})`,
      );
  }
}

/**
 * Validates a program's `mode` and `options` (at `path`, e.g. `programs[2]`) and resolves them
 * into the filter options to attach with. `device(dev, path)` is told of every interface an
 * action names (mirred `to`), which must exist in the program's host.
 */
export function resolveProgramFilter(
  p: TcProgramSpec,
  path: string,
  add: (p: string, m: string) => void,
  device: (dev: string, path: string) => void,
): PlanTcFilter {
  const op = `${path}.options`;
  let o: Obj = {};
  if (p.options !== undefined) {
    if (isObj(p.options)) o = p.options as Obj;
    else add(op, 'options must be a mapping (parent, priority, name, directAction, classid, actions, ...)');
  }

  // mode: the shorthand for directAction / classid
  let modeDirect: boolean | undefined;
  let modeClassid: string | undefined;
  if (p.mode !== undefined) {
    if (p.mode === 'direct-action') modeDirect = true;
    else if (isObj(p.mode) && typeof p.mode.classid === 'string' && CLASSID.test(p.mode.classid)) {
      modeDirect = false;
      modeClassid = p.mode.classid;
    } else add(`${path}.mode`, 'mode is direct-action or { classid: "MAJOR:MINOR" } (hex)');
  }
  const modeText = modeDirect ? 'mode direct-action' : `mode { classid: "${modeClassid}" }`;

  // parent: the direction's hook, or a qdisc/class handle on the egress path
  const direction = p.direction === 'egress' ? 'egress' : 'ingress';
  let parent: PlanTcFilter['parent'] = direction;
  if (o.parent !== undefined) {
    if (o.parent === 'ingress' || o.parent === 'egress') {
      if (o.parent !== p.direction)
        add(`${op}.parent`, `parent ${o.parent} conflicts with direction ${String(p.direction)}`);
      parent = o.parent;
    } else if (handleOf(o.parent, 'filter parent', `${op}.parent`, add) !== undefined) {
      if (p.direction !== 'egress') {
        add(
          `${op}.parent`,
          `parent ${JSON.stringify(o.parent)} is a qdisc or class, on the egress path; set direction: egress`,
        );
      }
      parent = o.parent as string | number;
    }
  }

  // classid
  let classid = modeClassid;
  if (o.classid !== undefined) {
    const c = handleOf(o.classid, 'filter classid', `${op}.classid`, add);
    if (c !== undefined && modeClassid !== undefined && c !== parseHandle(modeClassid)) {
      add(`${op}.classid`, `classid ${JSON.stringify(o.classid)} conflicts with ${modeText}`);
    }
    if (c !== undefined) classid = o.classid as string;
  }

  // actions
  const actions: TcProgramAction[] = [];
  if (o.actions !== undefined) {
    if (!Array.isArray(o.actions)) add(`${op}.actions`, 'actions must be a list');
    else
      o.actions.forEach((a: unknown, j) => {
        checkAction(a, `${op}.actions[${j}]`, add, device);
        if (isObj(a)) actions.push(a as unknown as TcProgramAction);
      });
  }

  // direct action or classid mode
  if (o.directAction !== undefined && typeof o.directAction !== 'boolean') {
    add(`${op}.directAction`, 'directAction must be true or false');
  } else if (o.directAction !== undefined && modeDirect !== undefined && o.directAction !== modeDirect) {
    add(`${op}.directAction`, `directAction: ${String(o.directAction)} conflicts with ${modeText}`);
  }
  const directAction =
    modeDirect ??
    (typeof o.directAction === 'boolean' ? o.directAction : classid === undefined && actions.length === 0);
  if (directAction && actions.length > 0) {
    add(
      `${op}.actions`,
      'actions run only in classid mode; set mode: { classid: "MAJOR:MINOR" } or options.directAction: false',
    );
  }

  // the rest, as src/tc checks them
  if (o.name !== undefined && (typeof o.name !== 'string' || !TC_FILTER_NAME.test(o.name))) {
    add(
      `${op}.name`,
      `invalid filter name ${JSON.stringify(o.name)} (1-200 letters, digits, '_', '.' or '-')`,
    );
  }
  intIn(o.priority, 1, 0xffff, 'priority', `${op}.priority`, add);
  intIn(o.handle, 1, 0xffffffff, 'handle', `${op}.handle`, add);
  intIn(o.chain, 0, 0xffffffff, 'chain', `${op}.chain`, add);
  const proto = o.protocol;
  if (
    proto !== undefined &&
    proto !== 'all' &&
    proto !== 'ip' &&
    proto !== 'ipv6' &&
    !(typeof proto === 'number' && Number.isInteger(proto) && proto >= 0 && proto <= 0xffff)
  ) {
    add(`${op}.protocol`, `invalid filter protocol ${JSON.stringify(proto)} (all, ip, ipv6 or 0-65535)`);
  }
  if (o.replace !== undefined && typeof o.replace !== 'boolean')
    add(`${op}.replace`, 'replace must be true or false');

  const filter: PlanTcFilter = {
    parent,
    directAction,
    name: typeof o.name === 'string' ? o.name : p.function,
    actions,
  };
  if (classid !== undefined) filter.classid = classid;
  if (typeof o.priority === 'number') filter.priority = o.priority;
  if (typeof o.handle === 'number') filter.handle = o.handle;
  if (typeof o.chain === 'number') filter.chain = o.chain;
  if (proto !== undefined) filter.protocol = proto as PlanTcFilter['protocol'];
  if (o.replace === true) filter.replace = true;
  return filter;
}
