import { describe, expect, it } from 'vitest';
import { decoded, encoded, kind } from './helpers.js';

describe('mirred action', () => {
  it('encodes tc_mirred: stolen + egress redirect to the resolved ifindex, or pipe + ingress mirror', () => {
    const redirect = encoded('action', { kind: 'mirred', mode: 'redirect', to: 'x' }, { ifindex: () => 42 });
    expect(redirect.hex).toBe(
      '20000200' + '00000000' + '00000000' + '04000000' + '00000000' + '00000000' + '01000000' + '2a000000',
    );
    expect(decoded('action', 'mirred', redirect.hex)).toEqual({
      mode: 'redirect',
      direction: 'egress',
      ifindex: 42,
    });
    const mirror = encoded(
      'action',
      { kind: 'mirred', mode: 'mirror', to: 'y', direction: 'ingress' },
      { ifindex: () => 7 },
    );
    expect(decoded('action', 'mirred', mirror.hex)).toEqual({
      mode: 'mirror',
      direction: 'ingress',
      ifindex: 7,
    });
  });

  it('names the interface it needs, and checks mode, target and direction', () => {
    const k = kind('action', 'mirred');
    expect(k.interfaces?.({ kind: 'mirred', mode: 'redirect', to: 'eth1' } as never)).toEqual([
      { name: 'eth1', field: 'to' },
    ]);
    expect(k.validate({ kind: 'mirred', mode: 'bounce', direction: 'up' }, 'a')).toEqual([
      { path: 'a.mode', message: 'invalid mirred mode "bounce" (use redirect or mirror)' },
      { path: 'a.to', message: 'mirred needs the interface to send to (to)' },
      { path: 'a.direction', message: 'invalid mirred direction "up" (use egress or ingress)' },
    ]);
  });
});
