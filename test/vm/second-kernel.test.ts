// Runs the native paths of tsbcc on the second test kernel (Debian's 6.1 linux-image-amd64 under
// qemu, scripts/vm/run.sh): the feature probes must find what 6.1 has and this machine lacks,
// and the kernel tests for police/gact/bpf actions, sfq/netem qdiscs and kprobes must pass there
// (on 6.1 they take their "feature present" branch). Skips with the reason when qemu or the 6.1
// image is not installed (scripts/vm/setup.sh installs them; CI's bootstrap does not).
//   npx vitest run --config test/vm/vitest.config.ts
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** Why the VM cannot run here, or undefined when it can. */
function missing(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' });
  } catch {
    return 'qemu-system-x86_64 is not installed (bash scripts/vm/setup.sh installs it)';
  }
  const kernels = existsSync('/boot')
    ? readdirSync('/boot').filter(
        (f) =>
          /^vmlinuz-6\.1\.\d+-\d+-amd64$/.test(f) && existsSync(`/lib/modules/${f.slice(8)}/modules.dep`),
      )
    : [];
  if (kernels.length === 0) return 'no Debian 6.1 kernel in /boot (bash scripts/vm/setup.sh installs it)';
  if (!existsSync('/bin/busybox')) return 'busybox-static is not installed (bash scripts/vm/setup.sh)';
  if (!existsSync('dist/src/cli/main.js')) return 'dist/ is not built (npx tsc -p .)';
  return undefined;
}

const reason = missing();
if (reason) console.log(`skipped: ${reason}`);

/** Tests that take their native branch on 6.1, by the title vitest reports. */
const NATIVE_TESTS = [
  'police action works or raises NotSupportedError naming the option',
  'gact action works or raises NotSupportedError naming the option',
  'a bpf action needs a SCHED_ACT program, and CONFIG_NET_ACT_BPF',
  'qdisc sfq is created where present, else NotSupportedError',
  'qdisc netem is created where present, else NotSupportedError',
  'kprobes: attach where the kernel has them, NotSupportedError naming CONFIG_KPROBE_EVENTS where not',
];
const FILTER = 'police action|gact action|bpf action needs|qdisc (sfq|netem) is created|kprobes: attach';
const PRESENT = ['kprobes', 'act_police', 'act_gact', 'act_bpf', 'sfq', 'netem', '8021q', 'dummy'];

describe('second kernel (Debian 6.1 under qemu)', () => {
  const results = mkdtempSync(join(tmpdir(), 'tsbcc-vmtest-'));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it.skipIf(reason !== undefined)(
    'finds kprobes, act_police, sfq, 8021q and dummy, and the native-path tests pass there',
    async () => {
      const command = [
        'node dist/src/cli/main.js doctor --json > "$TSBCC_VM_OUT/doctor.json"',
        `npx vitest run --project kernel test/kernel/tc-actions.test.ts test/kernel/tracing.test.ts -t '${FILTER}'` +
          ' --reporter=default --reporter=json --outputFile.json="$TSBCC_VM_OUT/vitest.json"',
      ].join(' && ');
      const started = Date.now();
      // Asynchronously: a blocked worker misses vitest's RPC deadlines. run.sh has its own
      // timeout guard (TSBCC_VM_TIMEOUT) and exits 124 when it fires.
      const child = spawn('bash', ['scripts/vm/run.sh', command], {
        env: { ...process.env, TSBCC_VM_RESULTS: results, TSBCC_VM_TIMEOUT: '480' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
      child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      console.log(`VM run: exit ${status}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(status, output.slice(-6000)).toBe(0);

      const doctor = JSON.parse(readFileSync(join(results, 'doctor.json'), 'utf8')) as {
        name: string;
        status: string;
      }[];
      for (const name of PRESENT) {
        expect(doctor.find((r) => r.name === name)?.status, `${name} on 6.1`).toBe('present');
      }

      const report = JSON.parse(readFileSync(join(results, 'vitest.json'), 'utf8')) as {
        testResults: { assertionResults: { title: string; status: string }[] }[];
      };
      const byTitle = new Map(
        report.testResults.flatMap((f) => f.assertionResults.map((a) => [a.title, a.status] as const)),
      );
      for (const title of NATIVE_TESTS) expect(byTitle.get(title), title).toBe('passed');
    },
    600_000,
  );
});
