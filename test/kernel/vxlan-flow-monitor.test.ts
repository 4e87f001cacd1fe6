import { describe, expect, it } from 'vitest';
import { VxlanFlowMonitor } from '../../src/index.js';

describe('VxlanFlowMonitor (recipe)', () => {
  it('checks its options, refuses an unknown interface, and is closed for good after close()', async () => {
    await expect(VxlanFlowMonitor.create({ port: 0 })).rejects.toThrow('VXLAN port 0');
    await expect(VxlanFlowMonitor.create({ maxFlows: 1.5 })).rejects.toThrow('maxFlows 1.5');
    const m = await VxlanFlowMonitor.create();
    await expect(m.attach({ interface: 'nope-dev0', direction: 'both' })).rejects.toThrow(/nope-dev0/);
    await expect(m.attach({ interface: 'lo', direction: 'sideways' as 'both' })).rejects.toThrow(
      'use both, ingress or egress',
    );
    expect(m.flows()).toEqual([]);
    expect(m.skipped()).toEqual({ outerMulticast: 0, notVxlan: 0 });
    await m.close();
    await m.close();
    expect(() => m.flows()).toThrow('is closed');
  });
});
