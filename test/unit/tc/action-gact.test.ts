import { describe, expect, it } from 'vitest';
import { decoded, encoded, kind } from './helpers.js';

describe('gact action', () => {
  it('encodes tc_gact with the verdict', () => {
    const e = encoded('action', { kind: 'gact', verdict: 'drop' });
    expect(e.hex).toBe('18000200' + '00000000' + '00000000' + '02000000' + '00000000' + '00000000');
    expect(decoded('action', 'gact', e.hex)).toEqual({ verdict: 'drop' });
  });

  it('needs a known verdict', () => {
    expect(kind('action', 'gact').validate({ kind: 'gact' })).toEqual([
      { path: 'verdict', message: 'gact needs a verdict (ok, drop, pipe, reclassify, continue, stolen)' },
    ]);
    expect(kind('action', 'gact').validate({ kind: 'gact', verdict: 'maybe' })[0]?.message).toBe(
      'invalid gact verdict "maybe" (use ok, drop, pipe, reclassify, continue, stolen)',
    );
  });
});
