import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpfObject, compile } from '../../src/index.js';

const root = 'examples/networking';
const programs = readdirSync(root).flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(root, dir, f)),
);

describe('the networking examples compile from BCC-C and load as SCHED_CLS', () => {
  it('finds the five examples', () => {
    expect(programs.map((p) => p.split('/')[2]).sort()).toEqual([
      'distributed_bridge',
      'neighbor_sharing',
      'simple_tc',
      'tunnel_monitor',
      'vlan_learning',
    ]);
  });

  for (const file of programs) {
    it(file, async () => {
      const spec = await compile({ file });
      expect(spec.programs.length).toBeGreaterThan(0);
      using obj = BpfObject.create(spec);
      for (const p of spec.programs) {
        const prog = obj.loadFunc(p.name, 'SCHED_CLS');
        expect(prog.id).toBeGreaterThan(0);
      }
    });
  }
});
