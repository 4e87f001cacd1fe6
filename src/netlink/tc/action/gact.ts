/** gact: a fixed verdict (CONFIG_NET_ACT_GACT). */
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { TC_GEN } from '../tca.js';
import { TC_VERDICT_NAMES, VERDICT, verdictName, type TcVerdictName } from '../verdict.js';

/** struct tc_gact. */
export const TC_GACT = struct('tc_gact', TC_GEN);

/** gact options (TCA_GACT_*). */
export const TCA_GACT = attrs('TCA_GACT', { TM: [1, 'binary'], PARMS: [2, TC_GACT], PROB: [3, 'binary'] });

/** A gact action. */
export interface GactSpec {
  kind: 'gact';
  verdict: TcVerdictName;
}

export default defineKind({
  object: 'action',
  kind: 'gact',
  feature: {
    name: 'act_gact',
    description: 'generic action (pass/drop)',
    kernelOption: 'CONFIG_NET_ACT_GACT',
    fallback: 'direct-action verdicts from the program',
  },
  parse(s: GactSpec, c) {
    if (s.verdict === undefined) c.add('verdict', `gact needs a verdict (${TC_VERDICT_NAMES.join(', ')})`);
    return { verdict: c.verdict(s.verdict, 'verdict', 'ok') };
  },
  options: (p) => nestPayload(TCA_GACT, { PARMS: { action: VERDICT[p.verdict] } }),
  decode: (options) => ({ verdict: verdictName(decodeAttrs(TCA_GACT, options).PARMS?.action ?? 0) }),
});
