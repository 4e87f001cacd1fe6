import { describe, expect, it } from 'vitest';
import { renderFeatureTable } from '../../src/cli/doctor.js';
import { featureInfo } from '../../src/features/catalog.js';

describe('doctor table', () => {
  it('shows the fallback only for missing features', () => {
    const text = renderFeatureTable([
      { ...featureInfo('veth'), status: 'present', detail: '' },
      { ...featureInfo('act_police'), status: 'missing', detail: '' },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^FEATURE\s+STATUS\s+KERNEL OPTION\s+WHERE MISSING/);
    expect(lines[1]).toMatch(/^veth\s+present\s+CONFIG_VETH$/);
    expect(lines[2]).toMatch(/^act_police\s+missing\s+CONFIG_NET_ACT_POLICE\s+ifb \+ htb/);
  });
});
