/** Pure parts of BCC compatibility: BTF-conditional compat macros and collision handling. */
import { describe, expect, it } from 'vitest';
import { findCollisions, renameKernelNames, RENAMED_PREFIX } from '../../src/compiler/collisions.js';
import { filterKernelDefs, kernelDefsFacts } from '../../src/compiler/kernel-header.js';

describe('kernel_defs.h lines conditional on BTF facts', () => {
  const defs = [
    '#define PLAIN 1',
    '#define sk_daddr __sk_common.skc_daddr /* btf: sock:__sk_common.skc_daddr */',
    '#define REQ_SYNC (1ULL << __REQ_SYNC) /* btf: enum:__REQ_SYNC */',
    '#define BOTH x /* btf: a:b enum:C */',
  ].join('\n');

  it('lists every fact once', () => {
    expect(kernelDefsFacts(defs)).toEqual(['sock:__sk_common.skc_daddr', 'enum:__REQ_SYNC', 'a:b', 'enum:C']);
  });

  it('keeps lines whose facts all hold and comments out the others, keeping line numbers', () => {
    const has = new Set(['sock:__sk_common.skc_daddr', 'a:b']);
    const out = filterKernelDefs(defs, (f) => has.has(f)).split('\n');
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('#define PLAIN 1');
    expect(out[1]).toContain('#define sk_daddr');
    expect(out[2]).toBe("/* not in this kernel's BTF (enum:__REQ_SYNC) */");
    expect(out[3]).toBe("/* not in this kernel's BTF (enum:C) */");
  });
});

describe('programs that bring their own definitions', () => {
  const user = { virtualPath: '/u/p.c', displayName: 'p.c', text: 'struct sock {\n  u32 *sk_daddr;\n};\n' };
  const note = (file: string) => ({
    severity: 'note' as const,
    message: 'previous definition is here',
    file,
    line: 9,
    column: 8,
    option: '',
  });
  const err = (message: string, line: number, column: number, macros?: string[]) => ({
    severity: 'error' as const,
    message,
    file: '/u/p.c',
    line,
    column,
    option: '',
    ...(macros ? { macros } : {}),
  });

  it('renames a name whose previous definition is in the kernel types, undefines our macros', () => {
    const c = findCollisions(
      [
        err("redefinition of 'sock'", 1, 8),
        note('/k/vmlinux.h'),
        err("expected ';' at end of declaration list", 2, 8, ['sk_daddr@/k/kernel_defs.h']),
        err("redefinition of 'mine'", 3, 8),
        note('/u/p.c'),
        err('use of undeclared identifier', 3, 1, ['USERS_OWN@/u/p.c']),
      ],
      [user],
      ['/k/vmlinux.h'],
      ['/k/kernel_defs.h', '/inc/uapi_defs.h'],
    );
    expect(c).toEqual({ renames: ['sock'], undefs: ['sk_daddr'] });
  });

  it('takes a typedef redefinition name from the source position', () => {
    const src = { ...user, text: 'typedef int u64;\n' };
    const c = findCollisions(
      [
        err("typedef redefinition with different types ('int' vs 'unsigned long long')", 1, 13),
        note('/k/vmlinux.h'),
      ],
      [src],
      ['/k/vmlinux.h'],
      [],
    );
    expect(c.renames).toEqual(['u64']);
  });

  it('renames tags, enumerators and typedefs, not members or other names', () => {
    const vmlinux = [
      'struct sock {',
      '\tint sock;',
      '\tstruct sock *next;',
      '};',
      'enum tcp_state {',
      '\tTCP_ESTABLISHED = 1,',
      '\tTCP_ESTABLISHED_X = 2,',
      '};',
      'typedef unsigned int u32;',
      'struct socket { u32 a; struct sock *sk; };',
    ].join('\n');
    const out = renameKernelNames(vmlinux, ['sock', 'TCP_ESTABLISHED', 'u32']);
    expect(out).toContain(`struct ${RENAMED_PREFIX}sock {`);
    expect(out).toContain('\tint sock;');
    expect(out).toContain(`\tstruct ${RENAMED_PREFIX}sock *next;`);
    expect(out).toContain(`\t${RENAMED_PREFIX}TCP_ESTABLISHED = 1,`);
    expect(out).toContain('\tTCP_ESTABLISHED_X = 2,');
    expect(out).toContain(`typedef unsigned int ${RENAMED_PREFIX}u32;`);
    expect(out).toContain(`struct socket { ${RENAMED_PREFIX}u32 a; struct ${RENAMED_PREFIX}sock *sk; };`);
  });
});
