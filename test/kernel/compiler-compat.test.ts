/**
 * BCC compatibility (docs/dialect.md, "BCC compatibility"): what real BCC programs rely on and
 * what they must be refused. The positive programs are test/corpus/compat/*.c, loaded into the
 * verifier by compiler-corpus.test.ts; here are the rejections and the details behind them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { BpfObject } from '../../src/core/bpf-object.js';
import { BPF } from '../../src/bcc/bpf.js';
import { AttachType } from '../../src/uapi/program-type.js';
import { CompileError, InvalidArgumentError } from '../../src/errors.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus', 'compat');
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-compat-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const cli = 'dist/src/cli/main.js';
const run = (args: string[]) =>
  spawnSync('node', [cli, ...args], { encoding: 'utf8', env: { ...process.env, TSBCC_CACHE_DIR: cache } });

async function compileError(text: string): Promise<CompileError> {
  try {
    await compile({ text, name: 'compat.c' }, { cacheDir: cache });
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('compiled, expected a CompileError');
}

describe('maps-only programs (class 1)', () => {
  it.skipIf(!existsSync(cli))('tsbcc check creates the maps and reports them', () => {
    const r = run(['check', join(CORPUS, 'maps_only.c'), '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      maps: [
        { name: 'flows', type: 'HASH', keySize: 8, valueSize: 8, maxEntries: 256 },
        { name: 'totals', type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 4 },
        { name: 'per_cpu', type: 'PERCPU_ARRAY', keySize: 4, valueSize: 4, maxEntries: 2 },
      ],
      notLoaded: [],
    });
    const text = run(['check', join(CORPUS, 'maps_only.c')]);
    expect(text.stdout).toContain('ok    maps created: flows (HASH, 256 entries)');
  });

  it('BPF.create makes the maps of a program without functions', async () => {
    const b = await BPF.create({
      text: 'BPF_HASH(only_maps, u32, u64, 8);',
      name: 'maps_only',
      compile: { cacheDir: cache },
    });
    try {
      const t = b.table<number, bigint>('only_maps');
      t.set(1, 2n);
      expect(t.get(1)).toBe(2n);
    } finally {
      b.close();
    }
  });
});

describe('kernel macros BTF cannot carry (class 2)', () => {
  it('a member alias is a member path of its own struct only', async () => {
    const e = await compileError(
      '#include <linux/skbuff.h>\nint f(struct pt_regs *ctx, struct sk_buff *skb) { return skb->sk_daddr; }\n',
    );
    expect(e.message).toMatch(/compat\.c:2:\d+: error: no member named '__sk_common' in 'struct sk_buff'/);
  });

  it('UAPI constants are their numbers; kernel-internal ones follow this kernel', async () => {
    const spec = await compile(
      {
        text: `_Static_assert(O_TMPFILE == 0x410000 && O_CREAT == 0100, "open flags");
_Static_assert(ETH_P_8021AD == 0x88A8 && IPPROTO_MPTCP == 262 && AF_INET6 == 10, "UAPI numbers");
_Static_assert(TASK_COMM_LEN == 16 && REQ_OP_MASK == 255 && REQ_SYNC == (1ULL << __REQ_SYNC), "kernel");
_Static_assert(KERNEL_VERSION(6, 1, 300) == ((6 << 16) + (1 << 8) + 255), "KERNEL_VERSION");
_Static_assert(sizeof(TCP_SKB_CB((struct sk_buff *)0)->seq) == 4, "TCP_SKB_CB");
BPF_ARRAY(v, u64, 2);
int f(void *ctx) {
  int k = 0;
  u64 x = min_t(u64, ntohs(ETH_P_IP), clamp(k, 1, 3)) + div_u64(PAGE_SIZE, 3);
  v.update(&k, &x);
  return 0;
}`,
        name: 'consts.c',
      },
      { cacheDir: cache },
    );
    const obj = BpfObject.create(spec);
    try {
      expect(obj.loadFunc('f', 'SOCKET_FILTER').closed).toBe(false);
    } finally {
      obj.close();
    }
  });

  it('a program gets the UAPI constants it names, spelled, tested by #ifdef or built by pasting', async () => {
    const spec = await compile(
      {
        text: `#ifndef SO_REUSEPORT
#error "SO_REUSEPORT is not defined"
#endif
#define OPEN_FLAG(x) O_##x
_Static_assert(OPEN_FLAG(NOATIME) == 0x40000, "a name built by token pasting");
BPF_ARRAY(v, u64, 1);
int f(void *ctx) {
  int k = 0;
  u64 x = TCP_CONGESTION + SO_REUSEPORT;
  v.update(&k, &x);
  return 0;
}`,
        name: 'lazy_uapi.c',
      },
      { cacheDir: cache, noCache: true },
    );
    const obj = BpfObject.create(spec);
    try {
      expect(obj.loadFunc('f', 'SOCKET_FILTER').closed).toBe(false);
    } finally {
      obj.close();
    }
    // a name that is no constant anywhere is still clang's undeclared identifier, at its place
    const e = await compileError('int f(void *ctx) { return O_NOT_A_FLAG; }\n');
    expect(e.message).toMatch(/compat\.c:1:27: error: use of undeclared identifier 'O_NOT_A_FLAG'/);
  });
});

describe('programs that bring their own definitions (class 3)', () => {
  it("a plain mistake keeps clang's first diagnostic", async () => {
    const e = await compileError('int f(void *ctx) { u32 a = 1; return min_t(u32, a); }\n');
    expect(e.message).toMatch(/too few arguments provided to function-like macro invocation/);
  });

  it('a struct the program defines twice is still a redefinition', async () => {
    const e = await compileError(
      'struct sock { int a; };\nstruct sock { int b; };\nint f(void *ctx) { return 0; }\n',
    );
    expect(e.message).toMatch(/compat\.c:2:8: error: redefinition of 'sock'/);
  });
});

describe('extern tables (class 7)', () => {
  it.skipIf(!existsSync(cli))('tsbcc check --after creates the shared table an extern one uses', () => {
    const table = `compat_shared_${process.pid}`;
    const provider = join(cache, 'provider.c');
    const user = join(cache, 'extern_user.c');
    writeFileSync(provider, `BPF_TABLE_PUBLIC("array", int, u64, ${table}, 4);\n`);
    writeFileSync(
      user,
      `BPF_TABLE("extern", int, u64, ${table}, 4);
int f(struct __sk_buff *skb) {
  int k = 1;
  u64 *v = ${table}.lookup(&k);
  return v ? *v : 0;
}
`,
    );
    const alone = run(['check', user, '--load', 'f=SOCKET_FILTER', '--json']);
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toContain(`reference to undefined table "${table}"`);
    const after = run(['check', user, '--load', 'f=SOCKET_FILTER', '--json', '--after', provider]);
    expect(after.stderr).toBe('');
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout.trim())).toEqual({
      name: 'f',
      type: 'SOCKET_FILTER',
      loaded: true,
      error: null,
    });
  });
});

describe('anonymous types and bit-fields (class 4)', () => {
  it('anonymous keys, leaves and events get layouts from BTF', async () => {
    const spec = await compile({ file: join(CORPUS, 'anon_types.c') }, { cacheDir: cache });
    const stats = spec.maps.find((m) => m.name === 'stats');
    expect(stats?.valueSize).toBe(32);
    expect(stats?.value).toMatchObject({
      kind: 'struct',
      fields: [
        { name: 'a' },
        { name: 'b' },
        { name: 'c', bitSize: 36 },
        { name: 'd', bitSize: 28 },
        { name: 's' },
      ],
    });
    expect(spec.maps.find((m) => m.name === 'flows')?.key).toMatchObject({ kind: 'struct', size: 8 });
    expect(spec.events?.events).toMatchObject({
      kind: 'struct',
      size: 16,
      fields: [{ name: 'ts' }, { name: 'pid' }],
    });
    expect(spec.events?.ring).toMatchObject({
      name: 'struct local_ev',
      fields: [{ name: 'ts' }, { name: 'cpu' }],
    });
  });
});

describe('packet-header bit-fields (class 6)', () => {
  it('the address of a bit-field is refused, as in BCC', async () => {
    const e = await compileError(`#include <bcc/proto.h>
int f(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  incr_cksum_l3(&eth->type, 1, 2);
  return 0;
}
`);
    expect(e.message).toMatch(/compat\.c:5:\d+: error: address of bit-field requested/);
  });
});

describe('USDT readers without a probe', () => {
  it('bpf_usdt_readarg in a handler no probe was enabled for says how to enable one', async () => {
    const e = await compileError(`int do_trace(struct pt_regs *ctx) {
  u64 v = 0;
  bpf_usdt_readarg(1, ctx, &v);
  return 0;
}
`);
    expect(e.message).toMatch(
      /compat\.c:3:\d+: error: bpf_usdt_readarg\(1, \.\.\.\) in do_trace: no USDT probe is enabled for do_trace \(no reader _bpf_readarg_do_trace_1\); enable one with --usdt PATH@\[provider:\]name=do_trace/,
    );
  });
});

describe('CGROUP_SOCKOPT (class 8)', () => {
  it('loading without an expected attach type names the hooks', async () => {
    const spec = await compile({ file: join(CORPUS, 'sockopt.c') }, { cacheDir: cache });
    const obj = BpfObject.create(spec);
    try {
      expect(() => obj.loadFunc('sockopt', 'CGROUP_SOCKOPT')).toThrow(InvalidArgumentError);
      expect(() => obj.loadFunc('sockopt', 'CGROUP_SOCKOPT')).toThrow(
        /CGROUP_GETSOCKOPT or CGROUP_SETSOCKOPT/,
      );
      const get = obj.loadFunc('sockopt', 'CGROUP_SOCKOPT', {
        expectedAttachType: AttachType.CGROUP_GETSOCKOPT,
      });
      expect(get.closed).toBe(false);
    } finally {
      obj.close();
    }
  });
});
