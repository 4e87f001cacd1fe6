import { describe, expect, it } from 'vitest';
import { verifierError } from '../../src/core/verifier.js';

const LOG = `func#0 @0
0: R1=ctx() R10=fp0
; int x = *v; @ prog.c:12
3: (61) r0 = *(u32 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

describe('verifier errors', () => {
  it('carry the reason, the C source line and a hint', () => {
    const e = verifierError('count', 13, LOG);
    expect(e.summary).toBe("R0 invalid mem access 'map_value_or_null'");
    expect(e.sourceLine).toEqual({ file: 'prog.c', line: 12, text: 'int x = *v;' });
    expect(e.hints).toContain('check the result of a map lookup for NULL before using it');
    expect(e.log).toBe(LOG);
    expect(e.message).toContain('prog.c:12');
  });
});
