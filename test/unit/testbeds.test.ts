import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../src/index.js';
import { distributedBridgeTopology } from '../../examples/networking/distributed_bridge/topology.js';

// The networking examples' testbeds are bundled as YAML (tsbcc topology up FILE brings them up
// without the example). Where an example builds its topology in code (it takes a size), the
// bundled file must be what it builds for the default size.
describe("the examples' bundled testbeds", () => {
  it.each([
    ['distributed_bridge', 'multicast'],
    ['distributed_bridge_mesh', 'mesh'],
    ['distributed_bridge_dhcp', 'dhcp'],
  ] as const)('%s.yaml is what distributed_bridge builds for 3 hosts in %s mode', (file, mode) => {
    const bundled = loadTopologyFile(`simulation/testbeds/${file}.yaml`).spec;
    expect(bundled).toEqual(distributedBridgeTopology(3, mode).spec);
  });

  it('every testbed named after an example belongs to an example that exists', () => {
    const names = readdirSync('examples/networking');
    const named = readdirSync('simulation/testbeds')
      .map((f) => f.replace(/\.yaml$/, ''))
      .filter((b) => /^[a-z]+_[a-z_]+$/.test(b));
    expect(named.length).toBeGreaterThan(0);
    for (const b of named)
      expect(
        names.some((n) => b === n || b.startsWith(`${n}_`)),
        b,
      ).toBe(true);
  });
});
