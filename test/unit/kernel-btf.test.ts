import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelEnumHasValue, kernelStructHasField } from '../../src/core/kernel-btf.js';

describe.skipIf(!existsSync('/sys/kernel/btf/vmlinux'))("the kernel's types from its BTF", () => {
  it('answer whether a struct has a field, anonymous unions included', () => {
    expect(kernelStructHasField('task_struct', 'pid')).toBe(true);
    expect(kernelStructHasField('struct sk_buff', 'len')).toBe(true);
    expect(kernelStructHasField('sk_buff', 'tstamp')).toBe(true); // inside an anonymous union
    expect(kernelStructHasField('task_struct', 'no_such_field')).toBe(false);
    expect(kernelStructHasField('no_such_struct', 'pid')).toBe(false);
  });

  it('answer whether an enum has a value', () => {
    expect(kernelEnumHasValue('bpf_prog_type', 'BPF_PROG_TYPE_SCHED_CLS')).toBe(true);
    expect(kernelEnumHasValue('enum bpf_map_type', 'BPF_MAP_TYPE_RINGBUF')).toBe(true);
    expect(kernelEnumHasValue('bpf_prog_type', 'BPF_PROG_TYPE_NO_SUCH')).toBe(false);
    expect(kernelEnumHasValue('no_such_enum', 'X')).toBe(false);
  });
});
