/**
 * Validation and resolution of a topology program's filter options (`programs[i].mode` and
 * `programs[i].options`) into a {@link PlanTcFilter}: the fields src/tc's `BpfFilterOptions`
 * takes, checked by the same code src/tc uses (the tc object model's filter, cls_bpf and action
 * checks), every problem with its path (`programs[0].options.actions[1].to: ...`). What is
 * topology's own: the `mode` shorthand and how the parent agrees with `direction`. Pure.
 */
import { Check } from '../netlink/tc/check.js';
import { checkFilter, type FilterSpec } from '../netlink/tc/filter.js';
import { kindsOf } from '../netlink/tc/registry.js';
import { parseHandle } from '../netlink/tc/units.js';
import type { PlanTcFilter } from './plan.js';
import type { TcProgramAction, TcProgramSpec } from './spec.js';

/** The action kinds a topology program takes (those that need no loaded program). */
export const PROGRAM_ACTION_KINDS: readonly TcProgramAction['kind'][] = kindsOf('action')
  .filter((k) => !k.needsProgram)
  .map((k) => k.kind as TcProgramAction['kind']);

/** What a testbed is told about actions that need a loaded program. */
const PROGRAM_HINT =
  'a bpf action needs a loaded SCHED_ACT program, which a testbed cannot describe (attach it with TcDevice.attachBpf)';

const CLASSID = /^[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The program's `mode` shorthand: direct action, or classid mode with a classid. */
function readMode(p: TcProgramSpec, path: string, c: Check): { direct?: boolean; classid?: string } {
  if (p.mode === undefined) return {};
  if (p.mode === 'direct-action') return { direct: true };
  if (isObj(p.mode) && typeof p.mode.classid === 'string' && CLASSID.test(p.mode.classid)) {
    return { direct: false, classid: p.mode.classid };
  }
  c.problems.push({
    path: `${path}.mode`,
    message: 'mode is direct-action or { classid: "MAJOR:MINOR" } (hex)',
  });
  return {};
}

/**
 * Validates a program's `mode` and `options` (at `path`, e.g. `programs[2]`) and resolves them
 * into the filter options to attach with. `add` receives each problem; `device(dev, path)` is
 * told of every interface an action names (mirred `to`), which must exist in the program's host.
 */
export function resolveProgramFilter(
  p: TcProgramSpec,
  path: string,
  add: (p: string, m: string) => void,
  device: (dev: string, path: string) => void,
): PlanTcFilter {
  const op = `${path}.options`;
  const c = new Check(op, 'filter');
  let o: Obj = {};
  if (p.options !== undefined) {
    if (isObj(p.options)) o = p.options as Obj;
    else c.add('', 'options must be a mapping (parent, priority, name, directAction, classid, actions, ...)');
  }
  const mode = readMode(p, path, c);
  const modeText = mode.direct ? 'mode direct-action' : `mode { classid: "${mode.classid}" }`;

  // parent: the direction's hook, or a qdisc/class handle on the egress path
  let parent: PlanTcFilter['parent'] = p.direction === 'egress' ? 'egress' : 'ingress';
  if (o.parent === 'ingress' || o.parent === 'egress') {
    if (o.parent !== p.direction)
      c.add('parent', `parent ${o.parent} conflicts with direction ${String(p.direction)}`);
    parent = o.parent;
  } else if (o.parent !== undefined) {
    if (p.direction !== 'egress') {
      c.add(
        'parent',
        `parent ${JSON.stringify(o.parent)} is a qdisc or class, on the egress path; set direction: egress`,
      );
    }
    parent = o.parent as string | number;
  }

  // the mode shorthand must agree with the options it stands for
  let classid = mode.classid;
  if (o.classid !== undefined) {
    let value: number | undefined;
    try {
      value = parseHandle(o.classid as string | number);
    } catch {
      // the filter check below reports it
    }
    if (value !== undefined && mode.classid !== undefined && value !== parseHandle(mode.classid)) {
      c.add('classid', `classid ${JSON.stringify(o.classid)} conflicts with ${modeText}`);
    }
    classid = o.classid as string;
  }
  if (typeof o.directAction === 'boolean' && mode.direct !== undefined && o.directAction !== mode.direct) {
    c.add('directAction', `directAction: ${String(o.directAction)} conflicts with ${modeText}`);
  }
  const actions = Array.isArray(o.actions) ? (o.actions as TcProgramAction[]) : undefined;
  const directAction =
    mode.direct ??
    (typeof o.directAction === 'boolean'
      ? o.directAction
      : classid === undefined && (actions ?? []).length === 0);

  // everything else as src/tc checks it
  const spec = {
    kind: 'bpf',
    name: o.name,
    directAction,
    classid,
    actions: o.actions,
    parent,
    priority: o.priority,
    handle: o.handle,
    chain: o.chain,
    protocol: o.protocol,
  } as FilterSpec;
  const f = checkFilter(spec, c, { programHint: PROGRAM_HINT });
  for (const i of f.interfaces) device(i.name, i.path);
  c.boolOpt(o.replace, 'replace');
  for (const problem of c.problems) add(problem.path, problem.message);

  const filter: PlanTcFilter = {
    parent,
    directAction,
    name: typeof o.name === 'string' ? o.name : p.function,
    actions: (actions ?? []).filter(isObj) as unknown as TcProgramAction[],
  };
  if (classid !== undefined) filter.classid = classid;
  if (typeof o.priority === 'number') filter.priority = o.priority;
  if (typeof o.handle === 'number') filter.handle = o.handle;
  if (typeof o.chain === 'number') filter.chain = o.chain;
  if (o.protocol !== undefined) filter.protocol = o.protocol as PlanTcFilter['protocol'];
  if (o.replace === true) filter.replace = true;
  return filter;
}
