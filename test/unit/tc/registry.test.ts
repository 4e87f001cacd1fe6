import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kindsOf, tcFeatures } from '../../../src/netlink/tc/registry.js';
import { FEATURES } from '../../../src/features/catalog.js';

const root = new URL('../../../src/netlink/tc/', import.meta.url);

describe('tc kind registry', () => {
  it('holds one kind per file under src/netlink/tc/{qdisc,class,filter,action}, and the generated list is current', () => {
    execFileSync('node', [new URL('../../../scripts/gen-tc-kinds.mjs', import.meta.url).pathname, '--check']);
    for (const object of ['qdisc', 'class', 'filter', 'action'] as const) {
      const files = readdirSync(new URL(`${object}/`, root)).filter((f) => f.endsWith('.ts')).length;
      expect(kindsOf(object).length, object).toBe(files);
      for (const k of kindsOf(object)) expect(k.object).toBe(object);
    }
  });

  it('gives every kind a feature the catalog lists, with its kernel option and fallback', () => {
    for (const f of tcFeatures()) {
      expect(FEATURES.find((x) => x.name === f.name)).toEqual(f);
      expect(f.kernelOption).toMatch(/^CONFIG_/);
      expect(f.fallback.length).toBeGreaterThan(0);
    }
  });
});
