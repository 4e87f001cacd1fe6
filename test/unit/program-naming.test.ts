import { describe, expect, it } from 'vitest';
import {
  describeProgram,
  kernelProgramName,
  NAMING_RULES,
  programConvention,
  rewriterNamingRules,
} from '../../src/compiler/program-naming.js';
import { AttachType, ProgramType } from '../../src/uapi/program-type.js';

describe('the naming table', () => {
  it('says for every BCC prefix its kind, type, target and whether it auto-attaches', () => {
    const rows = NAMING_RULES.map((r) => {
      const c = programConvention({ name: `${r.prefix}vmlinux__do_x`, section: '.text' });
      return [r.prefix, c.attachKind, c.type, c.expectedAttachType, c.attachTarget, c.autoAttach];
    });
    expect(rows).toEqual([
      ['kprobe__', 'kprobe', ProgramType.KPROBE, undefined, 'vmlinux__do_x', true],
      ['kretprobe__', 'kretprobe', ProgramType.KPROBE, undefined, 'vmlinux__do_x', true],
      ['tracepoint__', 'tracepoint', ProgramType.TRACEPOINT, undefined, 'vmlinux:do_x', true],
      ['raw_tracepoint__', 'raw_tracepoint', ProgramType.RAW_TRACEPOINT, undefined, 'vmlinux__do_x', true],
      ['kfunc__', 'fentry', ProgramType.TRACING, AttachType.TRACE_FENTRY, 'do_x', true],
      ['kretfunc__', 'fexit', ProgramType.TRACING, AttachType.TRACE_FEXIT, 'do_x', true],
      ['lsm__', 'lsm', ProgramType.LSM, AttachType.LSM_MAC, 'vmlinux__do_x', true],
      ['kmod_ret__', 'fmod_ret', ProgramType.TRACING, AttachType.MODIFY_RETURN, 'vmlinux__do_x', false],
      ['bpf_iter__', 'iter', ProgramType.TRACING, AttachType.TRACE_ITER, 'vmlinux__do_x', false],
      ['syscall__', 'syscall', ProgramType.KPROBE, undefined, 'vmlinux__do_x', false],
    ]);
    expect(programConvention({ name: 'kfunc__nf_conntrack__nf_ct_delete', section: '' }).attachTarget).toBe(
      'nf_conntrack:nf_ct_delete',
    );
  });

  it('falls back to libbpf sections for prebuilt objects, names first', () => {
    expect(programConvention({ name: 'handler', section: 'tp/sched/sched_switch' })).toMatchObject({
      attachKind: 'tracepoint',
      attachTarget: 'sched:sched_switch',
      autoAttach: true,
    });
    expect(programConvention({ name: 'h', section: 'kretprobe/tcp_v4_connect' }).attachKind).toBe(
      'kretprobe',
    );
    expect(programConvention({ name: 'kprobe__a', section: 'raw_tp/b' }).attachTarget).toBe('a');
    expect(programConvention({ name: 'h', section: 'classifier' })).toEqual({ autoAttach: false });
  });

  it('strips the prefix from the kernel-visible name, except syscall__', () => {
    expect(kernelProgramName('syscall__openat')).toBe('syscall__openat');
    expect(kernelProgramName('kmod_ret__should_fail')).toBe('should_fail');
    expect(kernelProgramName('kretfunc__mod__fn')).toBe('fn');
  });

  it('hands the rewriter its sections and the syscall-argument prefixes', () => {
    expect(rewriterNamingRules()).toEqual({
      sectionRules: [
        { prefix: 'kprobe__', section: 'kprobe/', splitLast: false },
        { prefix: 'kretprobe__', section: 'kretprobe/', splitLast: false },
        { prefix: 'tracepoint__', section: 'tracepoint/', splitLast: true },
        { prefix: 'raw_tracepoint__', section: 'raw_tracepoint/', splitLast: false },
      ],
      syscallArgPrefixes: ['syscall__', 'kprobe____x64_sys_'],
    });
  });

  it('builds a ProgramSpec: the convention over libbpf, BCC names only for BCC-C', () => {
    const elf = { insnCount: 3, type: 0, expectedAttachType: 0 };
    expect(
      describeProgram({ ...elf, name: 'kprobe__tcp_v4_connect', section: 'kprobe/tcp_v4_connect' }, true),
    ).toEqual({
      name: 'kprobe__tcp_v4_connect',
      section: 'kprobe/tcp_v4_connect',
      insnCount: 3,
      type: ProgramType.KPROBE,
      attachTarget: 'tcp_v4_connect',
      kernelName: 'tcp_v4_connect',
      autoAttach: true,
      attachKind: 'kprobe',
    });
    expect(
      describeProgram({ ...elf, name: 'xdp_prog', section: 'xdp', type: ProgramType.XDP }, false),
    ).toEqual({
      name: 'xdp_prog',
      section: 'xdp',
      insnCount: 3,
      type: ProgramType.XDP,
    });
  });
});
