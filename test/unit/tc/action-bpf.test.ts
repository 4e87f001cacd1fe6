import { describe, expect, it } from 'vitest';
import { decoded, encoded, kind } from './helpers.js';

describe('bpf action', () => {
  it('encodes tc_act_bpf (pipe), the program fd and the name', () => {
    const e = encoded('action', { kind: 'bpf', fd: 9, name: 'act' });
    expect(e.hex).toBe(
      '18000200' +
        '00000000' +
        '00000000' +
        '03000000' +
        '00000000' +
        '00000000' +
        '08000500' +
        '09000000' +
        '08000600' +
        '61637400',
    );
    expect(decoded('action', 'bpf', e.hex)).toEqual({ name: 'act' });
  });

  it('needs a loaded program, which plain data cannot give', () => {
    expect(kind('action', 'bpf').needsProgram).toBe(true);
    expect(kind('action', 'bpf').validate({ kind: 'bpf' }, 'a')).toEqual([
      { path: 'a', message: 'a bpf action needs a loaded SCHED_ACT program (its fd)' },
      { path: 'a.name', message: 'a bpf action needs a name' },
    ]);
  });
});
