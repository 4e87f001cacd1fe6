/**
 * Every tool's generated program compiles, in both forms (BCC's kprobes and the tracepoint
 * equivalents) and with the options that change it, on this kernel's types: the kprobe forms
 * run only in the VM lane, so their programs are compiled here too (`--ebpf --attach kprobe`).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { ToolRun } from './helpers/tool-run.js';

const CASES: string[][] = [
  ['opensnoop'],
  ['opensnoop', '-T', '-U', '-x', '-p', '1', '-u', '0', '-e', '-f', 'O_WRONLY'],
  ['opensnoop', '-t', '1'],
  ['killsnoop', '-x', '-p', '1', '-T', '2', '-s', '9,15'],
  ['syncsnoop'],
  ['pidpersec'],
  ['vfsstat', '-p', '1'],
  ['vfscount'],
  ['hardirqs'],
  ['hardirqs', '-d', '-c', '0'],
  ['hardirqs', '-C'],
  ['softirqs', '-d', '-N'],
  ['softirqs', '-C', '-c', '1'],
  ['biolatency'],
  ['biolatency', '-Q', '-m', '-D', '-e'],
  ['biolatency', '-F'],
  ['biosnoop', '-Q', '-P'],
  ['tcpconnect', '-L', '-U', '-u', '0', '-p', '1', '-P', '80,81', '-4'],
  ['tcpconnect', '-c', '-6'],
  ['tcpaccept', '-P', '22', '-p', '1', '-4'],
  // the container filters (--ebpf prints the program without looking at the pinned paths)
  ['opensnoop', '--cgroupmap', '/sys/fs/bpf/cg', '--mntnsmap', '/sys/fs/bpf/mntns'],
  ['tcpconnect', '--cgroupmap', '/sys/fs/bpf/cg', '--mntnsmap', '/sys/fs/bpf/mntns'],
  ['tcpaccept', '--cgroupmap', '/sys/fs/bpf/cg', '--mntnsmap', '/sys/fs/bpf/mntns'],
  ['funccount', '-p', '1', '-c', '0', 't:sched:sched_process_fork'],
  ['funclatency', '-F', '-m', 'c:malloc'],
  ['stackcount', '-P', '-K', 't:sched:sched_process_fork'],
  ['stacksnoop', '-p', '1', 't:sched:sched_process_fork'],
  ['offcputime', '-p', '1', '--state', '2', '-m', '10', '-M', '100000'],
  ['offcputime', '-u', '-U'],
  ['wakeuptime', '-u', '-m', '10'],
];

describe('tools: generated programs', () => {
  for (const args of CASES)
    for (const attach of ['kprobe', 'tracepoint'])
      it(`${args.join(' ')} --attach ${attach} compiles`, async () => {
        const { code, out, err } = await ToolRun.complete([...args, '--ebpf', '--attach', attach]);
        expect(err).toBe('');
        expect(code).toBe(0);
        const spec = await compile(out, { name: args[0] ?? 'tool' });
        expect(spec.programs.length).toBeGreaterThan(0);
      });
});
