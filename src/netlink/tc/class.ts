/** Classes of any kind (htb, ...): their place (classid, parent), checks and messages. Pure. */
import { buildMessage, REQUEST, type MessageBuilder } from '../message.js';
import { RTM } from '../rtnetlink.js';
import type { Payload } from '../schema.js';
import { Check, type Problem } from './check.js';
import { findKind, unknownKind, type ClassKindSpec } from './registry.js';
import { TC_MSG, tcMajor, tcMinor } from './tca.js';
import type { HandleInput } from './units.js';

/** Where a class goes. */
export interface ClassPlace {
  /** The class id, e.g. "1:10" (major = its qdisc's handle). */
  classid: HandleInput;
  /** The parent class or the qdisc, e.g. "1:" (default: the qdisc of the class's major). */
  parent?: HandleInput;
}

/** A class spec of any kind, with its place. */
export type ClassSpec = ClassKindSpec & ClassPlace;

/** A checked class, ready to encode. */
export interface ResolvedClass {
  kind: string;
  classid: number;
  parent: number;
  options: Payload | undefined;
}

/** Checks a class spec; `c` collects the problems. */
export function checkClass(
  spec: ClassSpec,
  c: Check,
): Omit<ResolvedClass, 'options'> & { encode: () => Payload | undefined } {
  const def = findKind('class', spec.kind);
  if (!def) {
    c.add('kind', unknownKind('class', spec.kind));
    return { kind: String(spec.kind), classid: 0, parent: 0, encode: () => undefined };
  }
  const kc = c.sub('', spec.kind);
  let classid = 0;
  if (spec.classid === undefined) kc.add('classid', `${spec.kind} class needs a classid such as "1:10"`);
  else {
    classid = kc.handleOpt(spec.classid, 'classid') ?? 0;
    if (classid && (tcMinor(classid) === 0 || tcMajor(classid) === 0)) {
      kc.add(
        'classid',
        `invalid ${spec.kind} classid ${JSON.stringify(spec.classid)}: needs a major and a minor, e.g. "1:10"`,
      );
    }
  }
  const parent = kc.handleOpt(spec.parent, 'parent') ?? tcMajor(classid);
  const enc = def.check(spec as never, kc);
  return {
    kind: def.kind,
    classid,
    parent,
    encode: () =>
      enc({
        ifindex: (name) => {
          throw new RangeError(`a class names no interface (${name})`);
        },
      }),
  };
}

/** Every problem of a class spec given as plain data. */
export function validateClass(spec: unknown, path = ''): Problem[] {
  const c = new Check(path, 'class');
  checkClass((spec ?? {}) as ClassSpec, c);
  return c.problems;
}

/** Checks and encodes a class spec. @throws InvalidArgumentError with the first problem. */
export function resolveClass(spec: ClassSpec): ResolvedClass {
  const c = new Check('', spec.kind);
  const r = checkClass(spec, c);
  c.orThrow();
  return { kind: r.kind, classid: r.classid, parent: r.parent, options: r.encode() };
}

/** RTM_NEWTCLASS for a resolved class (fails when it exists, unless `replace`). */
export function newClass(ifindex: number, r: ResolvedClass, replace = false): MessageBuilder {
  return buildMessage(RTM.NEWTCLASS, replace ? REQUEST.CREATE_OR_REPLACE : REQUEST.CREATE, TC_MSG, {
    header: { tcm_ifindex: ifindex, tcm_handle: r.classid, tcm_parent: r.parent },
    attrs: { KIND: r.kind, OPTIONS: r.options },
  });
}

/** RTM_DELTCLASS. */
export function deleteClass(ifindex: number, classid: number, parent: number): MessageBuilder {
  return buildMessage(RTM.DELTCLASS, REQUEST.ACK, TC_MSG, {
    header: { tcm_ifindex: ifindex, tcm_handle: classid, tcm_parent: parent },
  });
}

/** RTM_GETTCLASS dump of an interface. */
export function dumpClasses(ifindex: number): MessageBuilder {
  return buildMessage(RTM.GETTCLASS, REQUEST.DUMP, TC_MSG, { header: { tcm_ifindex: ifindex } });
}
