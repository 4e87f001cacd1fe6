/** Pure parts of BCC compatibility: BTF-conditional compat macros and collision handling. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCollisions, renameKernelNames, RENAMED_PREFIX } from '../../src/compiler/collisions.js';
import { filterKernelDefs, kernelDefsFacts } from '../../src/compiler/kernel-header.js';
import {
  findUapiDefine,
  findUapiDefines,
  undeclaredIdentifiers,
  uapiDefinesFor,
} from '../../src/compiler/uapi-defs.js';

describe('UAPI constants given to a program lazily', () => {
  const real = join(import.meta.dirname, '..', '..', 'include', 'bcc', 'uapi_defs.h');
  const tmp = mkdtempSync(join(tmpdir(), 'tsbcc-uapi-unit-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const small = join(tmp, 'defs.h');
  // laid out as scripts/gen-uapi-defs.py writes it, with an index entry every 2 lines
  const defs = [
    '#define AF_INET 2 /* linux/socket.h */',
    '#define AF_INET6 10 /* linux/socket.h */',
    '#define O_TMPFILE 0x410000 /* asm-generic/fcntl.h */',
    '#define SO_X 1 /* asm-generic/socket.h */',
    '#define ZZ_LAST 1U',
  ];
  const index: string[] = [];
  let offset = 0;
  defs.forEach((d, i) => {
    if (i % 2 === 0) index.push(`${d.split(' ')[1]} ${offset}`);
    offset += d.length + 1;
  });
  writeFileSync(
    small,
    [
      '/* header',
      'uapi-index',
      ...index,
      `-END- ${offset}`,
      '*/',
      '#ifndef __TSBCC_UAPI_DEFS_H',
      '#define __TSBCC_UAPI_DEFS_H',
      ...defs,
      '#endif',
      '',
    ].join('\n'),
  );

  it('finds the first, the last, a name that is a prefix of another, and nothing else', () => {
    expect(findUapiDefine('AF_INET', small)).toBe('#define AF_INET 2 /* linux/socket.h */');
    expect(findUapiDefine('AF_INET6', small)).toBe('#define AF_INET6 10 /* linux/socket.h */');
    expect(findUapiDefine('ZZ_LAST', small)).toBe('#define ZZ_LAST 1U');
    expect(findUapiDefine('SO_X', small)).toBe('#define SO_X 1 /* asm-generic/socket.h */');
    for (const n of ['AF_INE', 'AF_INET64', 'A', 'ZZZ', '__TSBCC_UAPI_DEFS_H', 'O_TMPFIL', 'endif', '-END-'])
      expect(findUapiDefine(n, small)).toBeUndefined();
  });

  it('the generated file is sorted by name and finds every one of its names', () => {
    const names = [...readFileSync(real, 'utf8').matchAll(/^#define (\w+) /gm)]
      .map((m) => m[1] ?? '')
      .filter((n) => n !== '__TSBCC_UAPI_DEFS_H');
    expect(names.length).toBeGreaterThan(20_000);
    const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(names).toEqual(sorted);
    const found = findUapiDefines([...names, ...names.map((n) => `${n}_NOT`)], real);
    expect(names.filter((n) => !found.get(n)?.startsWith(`#define ${n} `))).toEqual([]);
    expect(found.size).toBe(names.length); // no name it lacks is found
  });

  it("gives the names a program's texts spell, in name order, and extra names", () => {
    const r = uapiDefinesFor(
      ['int f() { return O_TMPFILE | AF_INET6; } // AF_INETX xAF_INET', '-DX=AF_INET'],
      ['ZZ_LAST', 'NOPE'],
      small,
    );
    expect(r.names).toEqual(['AF_INET', 'AF_INET6', 'O_TMPFILE', 'ZZ_LAST']);
    expect(r.header.split('\n')).toHaveLength(5);
    expect(uapiDefinesFor(['int x;'], [], small)).toEqual({ names: [], header: '' });
  });

  it('reads the names clang reported undeclared', () => {
    expect(
      undeclaredIdentifiers([
        "use of undeclared identifier 'O_TMPFILE'",
        "use of undeclared identifier 'AF_INT'; did you mean 'AF_INET'?",
        "unknown type name 'X'",
      ]),
    ).toEqual(['O_TMPFILE', 'AF_INT']);
  });
});

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
