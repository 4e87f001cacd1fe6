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

describe('verifier source lines on kernels that print no file:line (6.1)', () => {
  const log = `0: R1=ctx() R10=fp0
; u64 v = *h.lookup(&k);
3: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
`;
  it('are placed by their text in the user source when it occurs once', () => {
    const source = { file: 'prog.c', text: 'int x;\nint f() {\n  u64 v = *h.lookup(&k);\n}\n' };
    expect(verifierError('f', 13, log, source).sourceLine).toEqual({
      file: 'prog.c',
      line: 3,
      text: 'u64 v = *h.lookup(&k);',
    });
  });

  it('are left out when the text is ambiguous or there is no source', () => {
    const twice = { file: 'prog.c', text: 'u64 v = *h.lookup(&k);\nu64 v = *h.lookup(&k);\n' };
    expect(verifierError('f', 13, log, twice).sourceLine).toBeUndefined();
    expect(verifierError('f', 13, log).sourceLine).toBeUndefined();
  });
});

describe('verifier source lines of programs compiled from a string', () => {
  it('take the text from the user source when the line info has none', () => {
    const log = `0: R1=ctx() R10=fp0\n;  @ main.c:4\n;  @ main.c:2\n3: (79) r1 = *(u64 *)(r0 +0)\n`;
    const source = {
      file: '<source>',
      path: '/virtual/tsbcc/main.c',
      text: 'int x;\n  u64 v = *h.lookup(&k);\n',
    };
    expect(verifierError('f', 13, log, source).sourceLine).toEqual({
      file: '<source>',
      line: 2,
      text: 'u64 v = *h.lookup(&k);',
    });
    expect(verifierError('f', 13, log).sourceLine).toEqual({ file: 'main.c', line: 2, text: '' });
  });
});
