/** Problems of a topology, and the field checks that need no context (pure). */
import { TopologyError } from '../errors.js';
import type { Problem } from '../util/problem.js';
import type { PlanShaping } from './plan.js';
import type { ShapingSpec } from './spec.js';
import { parsePercent, parseRate, parseSize, parseTime } from './units.js';

/** One thing wrong with a topology, at a path such as `links[3].a`. */
export type { Problem };

/** A topology failed validation; `problems` lists every problem found, in spec order. */
export class TopologyValidationError extends TopologyError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const [first] = problems;
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more: ${problems
            .slice(1, 4)
            .map((p) => `${p.path}: ${p.message}`)
            .join('; ')}${problems.length > 4 ? '; ...' : ''})`
        : '';
    super(`${first?.message ?? 'invalid topology'}${more}`, first?.path);
    this.problems = problems;
  }
}

/** Resolves shaping; problems go to `add`. */
export function resolveShaping(
  s: ShapingSpec,
  path: string,
  add: (p: string, m: string) => void,
): PlanShaping {
  const out: PlanShaping = { qdisc: s.qdisc ?? 'tbf', burst: 0 };
  if (s.qdisc !== undefined && s.qdisc !== 'tbf' && s.qdisc !== 'htb') {
    add(`${path}.qdisc`, `unknown shaping qdisc "${String(s.qdisc)}" (tbf or htb)`);
  }
  if (s.rate !== undefined) {
    const r = parseRate(s.rate);
    if (r === undefined) add(`${path}.rate`, `invalid rate "${s.rate}" (e.g. 10mbit, 1gbit, 500kbit)`);
    else out.rate = r;
  }
  if (s.burst !== undefined) {
    const b = parseSize(s.burst);
    if (b === undefined) add(`${path}.burst`, `invalid size "${s.burst}" (e.g. 32kb)`);
    else out.burst = b;
  }
  if (!out.burst && out.rate) out.burst = Math.max(16 * 1024, Math.ceil(out.rate / 8 / 250));
  if (s.delay !== undefined) {
    const d = parseTime(s.delay);
    if (d === undefined) add(`${path}.delay`, `invalid delay "${s.delay}" (e.g. 10ms)`);
    else out.delayUs = d;
  }
  if (s.loss !== undefined) {
    const l = parsePercent(s.loss);
    if (l === undefined) add(`${path}.loss`, `invalid loss "${s.loss}" (e.g. 1%)`);
    else out.loss = l;
  }
  if (out.rate === undefined && out.delayUs === undefined && out.loss === undefined) {
    add(path, 'shaping needs at least one of rate, delay, loss');
  }
  return out;
}
