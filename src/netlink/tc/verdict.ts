/** tc verdicts by name (what actions and police take) and their TC_ACT_* values. */
import { TC_ACT } from './tca.js';

/** TC_ACT_* of each verdict name. */
export const VERDICT = {
  ok: TC_ACT.OK,
  drop: TC_ACT.SHOT,
  pipe: TC_ACT.PIPE,
  reclassify: TC_ACT.RECLASSIFY,
  continue: TC_ACT.UNSPEC,
  stolen: TC_ACT.STOLEN,
} as const;

/** A tc verdict by name. */
export type TcVerdictName = keyof typeof VERDICT;

/** The verdict names, in order. */
export const TC_VERDICT_NAMES = Object.keys(VERDICT) as readonly TcVerdictName[];

/** The name of a TC_ACT_* value, or its number as text. */
export function verdictName(v: number): string {
  return TC_VERDICT_NAMES.find((n) => VERDICT[n] === v) ?? String(v);
}
