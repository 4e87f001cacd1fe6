// The VM lane (`npm run test:vm`, which CI runs after `npm test`): boots Debian's 6.1 kernel under
// qemu once (scripts/vm/run.sh; scripts/vm/setup.sh installs qemu and the image when missing),
// runs `tsbcc doctor` and exactly the test files of test/vm/lane.ts there, and checks the
// results here: every feature of GUEST_FEATURES present in the guest, and every listed test
// passed there — a test that failed, skipped without a feature reason, or skipped for a feature
// the guest has fails its file here.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeLaneFile, type LaneReport } from './judge.js';
import { GUEST_FEATURES, vmLaneFiles } from './lane.js';

const root = resolve(new URL('../..', import.meta.url).pathname);
/**
 * Seconds the guest may take before run.sh stops it: the lane takes ~430 s on a quiet machine
 * and 1188 s of guest uptime at host load 8-10 (tcg slows with the host); a guest lockup ends
 * the run at once (softlockup_panic in run.sh), so the margin costs nothing then.
 */
const VM_TIMEOUT = Number(process.env.TSBCC_VM_LANE_TIMEOUT ?? 1800);

describe('VM lane: the files of test/vm/lane.ts on Debian 6.1 under qemu', () => {
  const results = mkdtempSync(join(tmpdir(), 'tsbcc-vmlane-'));
  let exit: number | null = null;
  let child: ChildProcess | undefined;
  let tail = '';
  let report: LaneReport | undefined;
  let doctor: { name: string; status: string }[] = [];

  beforeAll(
    async () => {
      const command = [
        'node dist/src/cli/main.js doctor --json > "$TSBCC_VM_OUT/doctor.json"',
        'node_modules/.bin/vitest run --config test/vm/guest.config.ts --reporter=default' +
          ' --reporter=json --outputFile.json="$TSBCC_VM_OUT/vitest.json"',
      ].join('; ');
      const started = Date.now();
      // Asynchronously (a blocked worker misses vitest's RPC deadlines); the guest's console goes
      // to this run's output as it comes, so a slow or stuck lane shows where it is.
      // setpriv: if this worker dies, run.sh gets SIGTERM and stops the VM.
      const vm = spawn('setpriv', ['--pdeathsig', 'TERM', 'bash', 'scripts/vm/run.sh', command], {
        cwd: root,
        env: { ...process.env, TSBCC_VM_RESULTS: results, TSBCC_VM_TIMEOUT: String(VM_TIMEOUT) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = vm;
      const take = (d: Buffer): void => {
        process.stdout.write(d);
        tail = (tail + d.toString()).slice(-8000);
      };
      vm.stdout.on('data', take);
      vm.stderr.on('data', take);
      exit = await new Promise<number | null>((done) => child?.on('close', done));
      console.log(`VM lane: exit ${exit}, ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
      const json = join(results, 'vitest.json');
      if (existsSync(json)) report = JSON.parse(readFileSync(json, 'utf8')) as LaneReport;
      const doc = join(results, 'doctor.json');
      if (existsSync(doc)) doctor = JSON.parse(readFileSync(doc, 'utf8')) as typeof doctor;
    },
    (VM_TIMEOUT + 180) * 1000,
  );
  afterAll(() => {
    // Still running when the hook timed out or the run was interrupted: run.sh stops the VM.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(results, { recursive: true, force: true });
  });

  it('the guest booted and ran the lane', () => {
    expect(exit, `scripts/vm/run.sh exited ${exit} (124: timeout, 125: VM failure)\n${tail}`).not.toBe(124);
    expect(exit, tail).not.toBe(125);
    expect(report, `no vitest report from the guest\n${tail}`).toBeDefined();
  });

  it("the guest's vitest exited 0: no failed test, and its leak check found nothing left", () => {
    // a leak is reported by the guest's global teardown, which no file's result carries
    expect(exit, tail).toBe(0);
  });

  it('the guest has every feature the lane tests', () => {
    const present = new Set(doctor.filter((r) => r.status === 'present').map((r) => r.name));
    expect(GUEST_FEATURES.filter((f) => !present.has(f))).toEqual([]);
  });

  it.for(vmLaneFiles)('%s passes in the guest', (file) => {
    const f = report?.testResults.find((r) => r.name === join(root, file));
    for (const t of f?.assertionResults ?? []) {
      const took = t.duration === undefined ? '' : ` (${(t.duration / 1000).toFixed(1)} s)`;
      console.log(`guest: ${t.status} ${t.fullName}${took}`);
    }
    const present = new Set(doctor.filter((r) => r.status === 'present').map((r) => r.name));
    const has = (feature: string): boolean =>
      present.has(feature) || GUEST_FEATURES.some((g) => g === feature);
    expect(judgeLaneFile(report, join(root, file), has)).toEqual([]);
  });
});
