/**
 * Choosing a plan's ifindexes, in one place and after resolution, so they do not depend on the
 * order resolution visits the spec in: per namespace, from {@link FIRST_INDEX} up, bridges
 * first, then ifb devices, veth ends (each link's a then b, in link order), then vxlan devices;
 * in the root namespace 0 (the kernel picks there, and tsbcc looks those up by name). Later
 * steps use these numbers instead of looking devices up.
 */
import { ROOT, type Plan, type PlanIface } from './plan.js';

/** First ifindex used in namespaces the testbed owns (clear of devices the kernel adds). */
export const FIRST_INDEX = 100;

/** Sets `index` on every interface of the plan (see the module comment). */
export function assignIndexes(plan: Plan): void {
  const next = new Map<string, number>();
  const give = (iface: PlanIface): void => {
    if (iface.ns === ROOT) {
      iface.index = 0;
      return;
    }
    const n = next.get(iface.ns) ?? FIRST_INDEX;
    next.set(iface.ns, n + 1);
    iface.index = n;
  };
  plan.bridges.forEach(give);
  plan.ifbs.forEach(give);
  for (const v of plan.veths) {
    give(v.a);
    give(v.b);
  }
  plan.vxlans.forEach(give);
}
