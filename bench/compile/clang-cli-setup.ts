/**
 * Prepares the clang-19 command-line row of bench/compile: compiles a BCC-C file with tsbcc
 * (no object cache), catches its code-generation request (the C after BCC's rewrite, its cc1
 * arguments and in-memory files: the kernel header tsbcc used, the generated headers), and
 * writes them under OUTDIR as real files, so `clang-19` compiles the same C with the same
 * options and headers. Writes tsbcc's object as OUTDIR/tsbcc.o for comparison and prints JSON
 * {argv, pchArgv?, object}: the clang-19 command line (driver form: `-target bpf -O2 -g`), the
 * command that builds its PCH first (full kernel header), and the object it writes. Used by bench/compile/run.py.
 * Args: FILE RUN_ID KERNEL_HEADER(auto|subset|full) OUTDIR
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bccBaseArgs } from '../../src/compiler/bcc-args.js';
import { compile } from '../../src/compiler/compile.js';
import { toolchain } from '../../src/compiler/toolchain.js';
import { native } from '../../src/native.js';
import type { NativeCompileRequest } from '../../native/compiler.js';

const [file = '', run = '0', header = 'auto', out = ''] = process.argv.slice(2);
if (!out) throw new Error('usage: clang-cli-setup FILE RUN_ID KERNEL_HEADER OUTDIR');
const VIRTUAL = '/virtual/tsbcc';
const real = (s: string): string => s.split(VIRTUAL).join(join(out, 'virtual'));

const n = native();
const compileNative = n.clangCompile.bind(n);
let caught: NativeCompileRequest | undefined;
n.clangCompile = ((req: NativeCompileRequest) => {
  if ((req.emit ?? 'obj') === 'obj') caught = req;
  return compileNative(req as NativeCompileRequest & { emit: 'obj' });
}) as typeof n.clangCompile;

const text = readFileSync(file, 'utf8') + `\n// run ${run}\n`;
const spec = await compile(
  { text, name: 'bench' },
  { noCache: true, kernelHeader: header as 'auto' | 'subset' | 'full' },
);
n.clangCompile = compileNative;
if (!caught) throw new Error(`${file}: tsbcc made no code-generation request`);
const req: NativeCompileRequest = caught;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'tsbcc.o'), spec.elf);

const write = (path: string, contents: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
};
const main = real(req.mainPath);
write(main, real(req.mainSource));
for (const f of req.files ?? []) write(real(f.path), real(f.contents));

// Kernel includes are answered by empty files (the stub directory, searched last): create
// one for every <name> that no earlier include directory has.
const tc = toolchain();
const searched = [join(tc.resourceDir, 'include'), tc.tsbccInclude];
const texts = [real(req.mainSource), ...(req.files ?? []).map((f) => real(f.contents))];
for (const name of readdirSync(join(tc.tsbccInclude, 'bcc')))
  texts.push(readFileSync(join(tc.tsbccInclude, 'bcc', name), 'utf8'));
for (const t of texts) {
  for (const m of t.matchAll(/#\s*include\s*<([^>]+)>/g)) {
    const name = m[1] ?? '';
    if (searched.some((d) => existsSync(join(d, name)))) continue;
    for (const stub of req.stubDirs ?? []) {
      const path = join(real(stub), name);
      if (!existsSync(path)) write(path, '');
    }
  }
}

/** cc1 arguments -> the driver's spelling of the same options. */
function driverArgs(cc1: string[]): string[] {
  const argv: string[] = [];
  for (let i = 0; i < cc1.length; i++) {
    const a = cc1[i] ?? '';
    const next = (): string => cc1[++i] ?? '';
    if (a === '-triple') argv.push('-target', next());
    else if (a === '-nostdsysteminc') argv.push('-nostdinc');
    else if (a === '-mrelocation-model') next();
    // what the driver passes to cc1 itself (bcc-args.ts MEMORY_ARGS)
    else if (a === '-clear-ast-before-backend') continue;
    // cc1's default, which the driver changes (a PCH is used only with the language options
    // it was built with)
    else if (a === '-O2') argv.push(a, '-fno-math-errno');
    else if (a === '-ferror-limit') argv.push(`-ferror-limit=${next()}`);
    else if (a === '-internal-isystem') argv.push('-isystem', next());
    else if (a === '-debug-info-kind=constructor') argv.push('-g');
    else if (a.startsWith('-dwarf-version=')) argv.push(`-gdwarf-${a.slice('-dwarf-version='.length)}`);
    else if (['-resource-dir', '-include', '-include-pch', '-I', '-x'].includes(a)) argv.push(a, next());
    else argv.push(a);
  }
  return argv;
}

const argv = ['clang-19', ...driverArgs(req.args.map(real))];
// The full kernel header's PCH, built by the same command line (a PCH is tied to the compiler
// invocation that made it): its build is the command line's one-off first use, not timed.
let pchArgv: string[] | undefined;
const at = argv.indexOf('-include-pch');
if (at >= 0) {
  const tsbccPch = argv[at + 1] ?? '';
  const pch = join(out, 'kernel.h.pch');
  const base = driverArgs(bccBaseArgs());
  pchArgv = ['clang-19', ...base, '-x', 'c-header', tsbccPch.replace(/\.pch$/, ''), '-o', pch];
  argv[at + 1] = pch;
}
const object = join(out, 'clang.o');
argv.push('-c', main, '-o', object);
console.log(JSON.stringify({ argv, pchArgv, object }));
