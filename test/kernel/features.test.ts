import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { features, FEATURE_NAMES, type FeatureName } from '../../src/features/index.js';

/** CONFIG_X values from /proc/config.gz (`y`, `m`, or absent). */
function kernelConfig(): Map<string, string> | undefined {
  if (!existsSync('/proc/config.gz')) return undefined;
  const text = execFileSync('zcat', ['/proc/config.gz'], { encoding: 'utf8' });
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (eq?.[1] && eq[2] !== undefined) m.set(eq[1], eq[2]);
  }
  return m;
}

// Features whose presence one config option decides on a kernel without loadable modules.
// (fentry is left out: its options can be set while the kernel still refuses trampolines, so
// only the real attach decides; btf, ringbuf and batch_ops depend on version as well.)
const DECIDED_BY_CONFIG: Partial<Record<FeatureName, string>> = {
  clsact: 'CONFIG_NET_SCH_INGRESS',
  ingress: 'CONFIG_NET_SCH_INGRESS',
  cls_bpf: 'CONFIG_NET_CLS_BPF',
  act_police: 'CONFIG_NET_ACT_POLICE',
  act_gact: 'CONFIG_NET_ACT_GACT',
  act_bpf: 'CONFIG_NET_ACT_BPF',
  act_mirred: 'CONFIG_NET_ACT_MIRRED',
  htb: 'CONFIG_NET_SCH_HTB',
  tbf: 'CONFIG_NET_SCH_TBF',
  sfq: 'CONFIG_NET_SCH_SFQ',
  prio: 'CONFIG_NET_SCH_PRIO',
  fq_codel: 'CONFIG_NET_SCH_FQ_CODEL',
  netem: 'CONFIG_NET_SCH_NETEM',
  ifb: 'CONFIG_IFB',
  veth: 'CONFIG_VETH',
  bridge: 'CONFIG_BRIDGE',
  vxlan: 'CONFIG_VXLAN',
  dummy: 'CONFIG_DUMMY',
  '8021q': 'CONFIG_VLAN_8021Q',
  kprobes: 'CONFIG_KPROBE_EVENTS',
  tracepoints: 'CONFIG_TRACEPOINTS',
  uprobes: 'CONFIG_UPROBE_EVENTS',
  perf_events: 'CONFIG_PERF_EVENTS',
};

const modulesDir = existsSync(`/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);

describe('feature probes', () => {
  it('answer for every feature, present or missing', async () => {
    const set = await features();
    expect(set.list().map((r) => r.name)).toEqual([...FEATURE_NAMES]);
    for (const r of set.list()) expect(r.status, `${r.name}: ${r.detail}`).not.toBe('unknown');
  });

  const config = kernelConfig();
  it.skipIf(!config || modulesDir)('match /proc/config.gz on a kernel without modules', async (ctx) => {
    if (!config) return ctx.skip();
    const set = await features();
    for (const [name, option] of Object.entries(DECIDED_BY_CONFIG)) {
      const want = config.get(option) === 'y' ? 'present' : 'missing';
      expect(
        set.get(name as FeatureName).status,
        `${name} (${option}=${config.get(option) ?? 'unset'})`,
      ).toBe(want);
    }
  });

  it('report BTF, ring buffer and batch ops present on a BTF kernel (5.8+)', async () => {
    const set = await features();
    if (!existsSync('/sys/kernel/btf/vmlinux')) {
      console.log('skipping: no /sys/kernel/btf/vmlinux');
      return;
    }
    expect(set.get('btf').status).toBe('present');
    expect(set.get('ringbuf').status).toBe('present');
    expect(set.get('batch_ops').status).toBe('present');
  });

  it('are cached', async () => {
    expect(await features()).toBe(await features());
  });

  it('leave no namespace or link behind', async () => {
    const before = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    const { resetFeatureCache } = await import('../../src/features/index.js');
    resetFeatureCache();
    await features();
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).toBe(before);
  });
});
