import { describe, expect, it } from 'vitest';
import { formatTraceFields, InvalidArgumentError } from '../../src/index.js';
import { describeUsdtArg, usdtArgCtype, usdtArgSpec } from '../../src/tracing/usdt.js';
import { encodePerfEventAttr, PERF_ATTR_SIZE } from '../../src/tracing/perf-attr.js';
import {
  filterKprobeFunctions,
  fullMatch,
  matchKprobeFunctions,
  parseKprobeBlacklist,
} from '../../src/tracing/kprobe-functions.js';
import { parseUsdtArg } from '../../src/compiler/usdt.js';
import { pythonFormat } from '../../src/events/trace-format.js';

describe('trace_print format strings (Python str.format over trace_fields)', () => {
  const f = { task: 'bash', pid: 1234, cpu: 1, flags: 'd..31', ts: 5678.123456, msg: 'Hello, World!' };

  it('formats positional fields as BCC does with fmt.format(*fields)', () => {
    expect(formatTraceFields('{1} {5}', f)).toBe('1234 Hello, World!');
    expect(formatTraceFields('{0} {4}', f)).toBe('bash 5678.123456');
    expect(formatTraceFields('{} {} {}', f)).toBe('bash 1234 1');
    expect(formatTraceFields('{{{1}}}', f)).toBe('{1234}');
  });

  it('applies format specs as Python does', () => {
    // results checked against CPython 3.11
    expect(pythonFormat('{0:<8}|', ['ab'])).toBe('ab      |');
    expect(pythonFormat('{0:>8}|', ['ab'])).toBe('      ab|');
    expect(pythonFormat('{0:^7}|', ['ab'])).toBe('  ab   |');
    expect(pythonFormat('{0:*^7}|', ['ab'])).toBe('**ab***|');
    expect(pythonFormat('{0:6}|', [42])).toBe('    42|');
    expect(pythonFormat('{0:06}|', [-42])).toBe('-00042|');
    expect(pythonFormat('{0:+d}', [42])).toBe('+42');
    expect(pythonFormat('{0:x} {0:#x} {0:X} {0:o} {0:b}', [255])).toBe('ff 0xff FF 377 11111111');
    expect(pythonFormat('{0:.3f} {0:10.2f}|', [3.14159])).toBe('3.142       3.14|');
    expect(pythonFormat('{0:,}', [1234567])).toBe('1,234,567');
    expect(pythonFormat('{0:.2e}', [12345.678])).toBe('1.23e+04');
    expect(pythonFormat('{0:g} {1:g} {2:g}', [0.0001, 1234567, 3.5])).toBe('0.0001 1.23457e+06 3.5');
    expect(pythonFormat('{0:.2}|{0:.10}', ['abcdef'])).toBe('ab|abcdef');
    expect(pythonFormat('{0!r}', ['x'])).toBe("'x'");
  });

  it('names the problem in a bad format string', () => {
    expect(() => formatTraceFields('{6}', f)).toThrow(InvalidArgumentError);
    expect(() => formatTraceFields('{6}', f)).toThrow(/no field "6" at offset 0 of "\{6\}"/);
    expect(() => formatTraceFields('{1', f)).toThrow(/unclosed "\{"/);
    expect(() => formatTraceFields('x}', f)).toThrow(/single "\}"/);
    expect(() => formatTraceFields('{0:d}', f)).toThrow(/"d" needs a number/);
    expect(() => formatTraceFields('{1:q}', f)).toThrow(/bad format spec "q"/);
  });
});

describe('perf_event_attr layout (attach_perf_event_raw)', () => {
  it('puts every field where include/uapi/linux/perf_event.h has it', () => {
    const b = encodePerfEventAttr({
      type: 1,
      config: 0,
      sampleFreq: 99,
      disabled: true,
      excludeKernel: true,
      preciseIp: 2,
      sampleIdAll: true,
      wakeupEvents: 3,
      config1: 0x1122n,
      config2: 7,
      sampleMaxStack: 127,
      clockid: -1,
    });
    expect(b.length).toBe(PERF_ATTR_SIZE);
    expect(b.readUInt32LE(0)).toBe(1);
    expect(b.readUInt32LE(4)).toBe(136);
    expect(b.readBigUInt64LE(16)).toBe(99n); // sample_freq
    const flags = b.readBigUInt64LE(40);
    expect(flags & 1n).toBe(1n); // disabled
    expect((flags >> 5n) & 1n).toBe(1n); // exclude_kernel
    expect((flags >> 10n) & 1n).toBe(1n); // freq, set because sampleFreq was given
    expect((flags >> 15n) & 3n).toBe(2n); // precise_ip
    expect((flags >> 18n) & 1n).toBe(1n); // sample_id_all
    expect(b.readUInt32LE(48)).toBe(3);
    expect(b.readBigUInt64LE(56)).toBe(0x1122n);
    expect(b.readBigUInt64LE(64)).toBe(7n);
    expect(b.readInt32LE(92)).toBe(-1);
    expect(b.readUInt16LE(108)).toBe(127);
    expect(encodePerfEventAttr({ type: 0, config: 0, samplePeriod: 1000 }).readBigUInt64LE(40)).toBe(0n);
    expect(() => encodePerfEventAttr({ type: 0, config: 0, preciseIp: 4 })).toThrow(/preciseIp must be 0-3/);
    expect(() => encodePerfEventAttr({ type: 0, config: -1 })).toThrow(/config -1 does not fit/);
  });
});

describe('kprobe-able functions (BCC get_kprobe_functions rules)', () => {
  const kallsyms = [
    'ffffffff81000000 T _stext',
    'ffffffff81001000 T vfs_read',
    'ffffffff81001100 t vfs_readv',
    'ffffffff81001200 T perf_event_open',
    'ffffffff81001300 t __perf_x',
    'ffffffff81001400 t _kbl_addr_foo',
    'ffffffff81001500 t __SCT__tp_func_x',
    'ffffffff81001600 t do_thing.cold',
    'ffffffff81001700 t finish_task_switch.isra.0',
    'ffffffff81001800 D some_data',
    'ffffffff81001900 T blacklisted_fn',
    'ffffffff81001a00 T not_in_ftrace',
    'ffffffff81002000 T __irqentry_text_start',
    'ffffffff81002100 T irq_fn',
    'ffffffff81002200 T __irqentry_text_end',
    'ffffffff82000000 T __init_begin',
    'ffffffff82000100 t init_fn',
    'ffffffff82000200 T __init_end',
    'ffffffff82000300 T vfs_read',
    'ffffffffc0000000 t mod_fn\t[mymod]',
    // ftrace lists one name per address: the syscall wrapper is an alias of __do_sys_getppid
    'ffffffff83000000 t __do_sys_getppid',
    'ffffffff83000000 T __ia32_sys_getppid',
    'ffffffff83000000 T __x64_sys_getppid',
    // blacklisted by address range: its alias goes too
    'ffffffff84000000 t bl_range_fn',
    'ffffffff84000000 t bl_range_alias',
  ].join('\n');
  const available = new Set([
    'vfs_read',
    'vfs_readv',
    'perf_event_open',
    '__perf_x',
    '_kbl_addr_foo',
    '__SCT__tp_func_x',
    'do_thing.cold',
    'finish_task_switch.isra.0',
    'some_data',
    'blacklisted_fn',
    'irq_fn',
    'init_fn',
    'mod_fn',
    '__do_sys_getppid',
    'bl_range_alias',
  ]);
  const black = parseKprobeBlacklist(
    '0xffffffff81001900-0xffffffff81001a00\tblacklisted_fn\n0xffffffff84000000-0xffffffff84000040\tbl_range_fn\n',
  );
  const all = filterKprobeFunctions(kallsyms, available, black);
  const fns = all.map((f) => f.name);

  it('keeps traceable text symbols once, drops the sections and names BCC drops', () => {
    expect(fns).toEqual([
      'vfs_read',
      'vfs_readv',
      'finish_task_switch.isra.0',
      'mod_fn',
      '__do_sys_getppid',
      '__ia32_sys_getppid',
      '__x64_sys_getppid',
    ]);
    // names only, as BCC (an unreadable kallsyms address is 0): no aliases
    const noAddr = kallsyms.replace(/^[0-9a-f]+ /gm, '0000000000000000 ');
    expect(filterKprobeFunctions(noAddr, available, black).map((f) => f.name)).toEqual([
      'vfs_read',
      'vfs_readv',
      'finish_task_switch.isra.0',
      'mod_fn',
      '__do_sys_getppid',
      'bl_range_alias',
    ]);
  });

  it('gives one name per address, the first in kallsyms order', () => {
    expect(matchKprobeFunctions(all, /.*getppid/)).toEqual(['__do_sys_getppid']);
    expect(matchKprobeFunctions(all, '__x64_sys_getppid')).toEqual(['__x64_sys_getppid']);
  });

  it('matches whole names (re.fullmatch)', () => {
    const m = fullMatch(/vfs_rea./);
    expect(fns.filter((f) => m.test(f))).toEqual(['vfs_read']);
    const ts = fullMatch('^finish_task_switch$|^finish_task_switch\\.isra\\.\\d$');
    expect(fns.filter((f) => ts.test(f))).toEqual(['finish_task_switch.isra.0']);
  });
});

describe('USDT argument specs', () => {
  it('round-trips note specs and describes them as tplist does', () => {
    for (const spec of ['-4@%eax', '8@%rbx', '8@-16(%rbp)', '4@$5', '-8@%r12', '1@%r9b', '2@8(%rsp)'])
      expect(usdtArgSpec(parseUsdtArg(spec))).toBe(spec);
    expect(describeUsdtArg(parseUsdtArg('-4@%eax'))).toBe('4 signed bytes @ register %eax');
    expect(describeUsdtArg(parseUsdtArg('8@-16(%rbp)'))).toBe('8 unsigned bytes @ -16(%rbp)');
    expect(describeUsdtArg(parseUsdtArg('4@$5'))).toBe('4 unsigned bytes @ constant 5');
    expect(usdtArgCtype(parseUsdtArg('-4@%eax'))).toBe('int32_t');
    expect(usdtArgCtype(parseUsdtArg('8@%rbx'))).toBe('uint64_t');
  });
});
