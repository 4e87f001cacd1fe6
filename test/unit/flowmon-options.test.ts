import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readFlowmonConfig,
  resolveFlowmonOptions,
  type FlowSample,
  type TrackedFlow,
} from '../../src/index.js';
import { parseListenAddress } from '../../src/deploy/flowmon-options.js';
import { formatFlowTable, topFlows } from '../../src/deploy/flowmon-table.js';

describe('tsbcc flowmon options (pure)', () => {
  it('parses ADDR:PORT forms and refuses the rest naming the option', () => {
    expect(parseListenAddress('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress(':9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListenAddress('9100')).toThrow('--metrics: "9100" is not ADDR:PORT');
    expect(() => parseListenAddress('a:70000')).toThrow('is not ADDR:PORT');
  });

  it('applies command line over file over defaults, and names the source of a bad value', () => {
    const o = resolveFlowmonOptions(
      { dev: 'eth1', interval: '2' },
      { interval: 9, top: 3, metrics: ':9100' },
      'f.yaml',
    );
    expect(o).toEqual({
      dev: 'eth1',
      direction: 'both',
      interval: 2,
      top: 3,
      metrics: { host: '0.0.0.0', port: 9100 },
      idle: 300,
      vxlanPort: 4789,
      maxFlows: 65536,
    });
    expect(() => resolveFlowmonOptions({})).toThrow('--dev: the interface to watch is required');
    expect(() => resolveFlowmonOptions({ dev: 'x', interval: '0' })).toThrow(
      '--interval: "0" is not a positive number',
    );
    expect(() => resolveFlowmonOptions({ dev: 'x' }, { top: 1.5 }, 'f.yaml')).toThrow(
      'f.yaml: top: 1.5 is not a positive integer',
    );
    expect(() => resolveFlowmonOptions({ dev: 'x', direction: 'up' })).toThrow('--direction: "up": use both');
    expect(() => resolveFlowmonOptions({ dev: 'x', 'vxlan-port': '70000' })).toThrow(
      '--vxlan-port: 70000 is more',
    );
  });

  it('reads a config file: unknown keys and YAML errors with file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmopt-'));
    try {
      const f = join(dir, 'a.yaml');
      writeFileSync(f, 'dev: eth0\nidle: 60\n');
      expect(readFlowmonConfig(f)).toEqual({ dev: 'eth0', idle: 60 });
      writeFileSync(f, 'dev: eth0\nintervall: 3\n');
      expect(() => readFlowmonConfig(f)).toThrow(`${f}: intervall: unknown option`);
      writeFileSync(f, 'dev: eth0\ntop: [\n');
      expect(() => readFlowmonConfig(f)).toThrow(new RegExp(`${f}:3:1: `));
      expect(() => readFlowmonConfig(join(dir, 'none.yaml'))).toThrow('none.yaml: ENOENT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('orders the table by bytes of the last interval, then totals; non-IPv4 rows marked', () => {
    const flow = (vni: number, total: number, last: number, ipv4 = true): TrackedFlow => ({
      outerA: '10.0.0.1',
      outerB: '10.0.0.2',
      vni,
      innerA: ipv4 ? '192.168.0.1' : '0.0.0.0',
      innerB: ipv4 ? '192.168.0.2' : '0.0.0.0',
      ipv4,
      txPackets: 1,
      txBytes: total,
      rxPackets: 0,
      rxBytes: 0,
      idleMs: 1500,
      delta: { txPackets: 0, txBytes: last, rxPackets: 0, rxBytes: 0 },
    });
    const flows = [flow(1, 100, 0), flow(2, 50, 40), flow(3, 900, 0, false), flow(4, 10, 40)];
    expect(topFlows(flows, 3).map((f) => f.vni)).toEqual([2, 4, 3]);
    const sample: FlowSample = {
      seq: 2,
      time: Date.UTC(2026, 0, 1, 12, 0, 0),
      intervalMs: 1000,
      flows,
      totals: { flows: 4, packets: 4, bytes: 1060, nonIpv4Packets: 1 },
      delta: { packets: 0, bytes: 80 },
      skipped: { outerMulticast: 2, notVxlan: 0 },
    };
    const lines = formatFlowTable(sample, 2, 5).split('\n');
    expect(lines[0]).toBe(
      '12:00:00 4 flows, 4 packets, 1.0 KiB; last 1.0 s: +0 packets, +80 B; expired 5; skipped 2 multicast, 0 not vxlan',
    );
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      /^2\s+10\.0\.0\.1\s+10\.0\.0\.2\s+192\.168\.0\.1\s+192\.168\.0\.2\s+1\s+50\s+0\s+0\s+40 B\s+2s$/,
    );
  });
});
