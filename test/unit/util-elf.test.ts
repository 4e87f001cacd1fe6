/**
 * The ELF reader (src/util/elf.ts) against llvm-readelf-19 on real files of this machine (a
 * PIE binary and a BPF object compiled here), and its typed errors for damaged files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { ElfFormatError, InvalidArgumentError } from '../../src/errors.js';
import { ElfFile, SHT, isElf } from '../../src/util/elf.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbcc-unit-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BIN = '/bin/true';
const BPF_TEXT = `
BPF_HASH(counts, u32, u64);
int kprobe__do_nanosleep(void *ctx) {
  u32 k = bpf_get_current_pid_tgid() >> 32;
  counts.increment(k);
  bpf_trace_printk("slept\\n");
  return 0;
}`;
let bpfPath = '';

beforeAll(async () => {
  bpfPath = join(dir, 'prog.o');
  writeFileSync(bpfPath, (await compile({ text: BPF_TEXT }, { cacheDir: dir })).elf);
});

/** What llvm-readelf-19 --elf-output-style=JSON says about a file. */
function readelf(path: string, ...flags: string[]): Record<string, unknown> {
  const out = execFileSync('llvm-readelf-19', ['--elf-output-style=JSON', ...flags, path], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as Record<string, unknown>[])[0] ?? {};
}

interface LlvmSection {
  Section: {
    Index: number;
    Name: { Name: string };
    Type: { Value: number };
    Flags: { Value: number };
    Address: number;
    Offset: number;
    Size: number;
    Link: number;
    Info: number;
    EntrySize: number;
  };
}
interface LlvmSymbol {
  Symbol: {
    Name: { Name: string; Value: number };
    Value: number;
    Size: number;
    Binding: { Value: number };
    Type: { Value: number };
    Section: { Value: number };
  };
}

function expectSectionsAsLlvm(path: string): ElfFile {
  const elf = ElfFile.read(path);
  const want = (readelf(path, '-S').Sections as LlvmSection[]).map(({ Section: s }) => ({
    index: s.Index,
    name: s.Name.Name,
    type: s.Type.Value,
    flags: s.Flags.Value,
    addr: BigInt(s.Address),
    offset: s.Offset,
    size: s.Size,
    link: s.Link,
    info: s.Info,
    entsize: s.EntrySize,
  }));
  expect(want.length).toBeGreaterThan(5);
  expect(elf.sections).toEqual(want);
  return elf;
}

function expectSymbolsAsLlvm(elf: ElfFile, tableName: string, llvmFlag: string, llvmKey: string): void {
  const table = elf.section(tableName);
  if (!table) throw new Error(`${elf.source} has no ${tableName}`);
  const want = (readelf(elf.source, llvmFlag)[llvmKey] as LlvmSymbol[]).map(({ Symbol: s }) => ({
    // llvm-readelf appends the symbol version to .dynsym names (the table holds the bare name)
    // and names a nameless section symbol after its section
    name: s.Name.Value === 0 ? '' : s.Name.Name.split('@')[0],
    type: s.Type.Value,
    bind: s.Binding.Value,
    shndx: s.Section.Value,
    value: BigInt(s.Value),
    size: BigInt(s.Size),
  }));
  expect(want.length).toBeGreaterThan(1);
  expect(elf.symbols(table)).toEqual(want);
}

describe('ElfFile on real files', () => {
  it(`${BIN}: the section headers, .dynsym and program headers llvm-readelf-19 lists`, () => {
    const elf = expectSectionsAsLlvm(BIN);
    expect(elf.section('.text')?.type).toBe(SHT.PROGBITS);
    expect(elf.data(elf.section('.interp') ?? elf.sections[0]!).toString('latin1')).toMatch(
      /^\/lib.*ld-linux.*\.so\.\d\0$/,
    );
    expect(elf.data(elf.section('.bss')!).length).toBe(0); // NOBITS: no bytes in the file
    expectSymbolsAsLlvm(elf, '.dynsym', '--dyn-syms', 'DynamicSymbols');
    const want = (readelf(BIN, '-l').ProgramHeaders as { ProgramHeader: Record<string, unknown> }[]).map(
      ({ ProgramHeader: p }) => ({
        type: (p.Type as { Value: number }).Value,
        flags: (p.Flags as { Value: number }).Value,
        offset: BigInt(p.Offset as number),
        vaddr: BigInt(p.VirtualAddress as number),
        filesz: BigInt(p.FileSize as number),
        memsz: BigInt(p.MemSize as number),
      }),
    );
    expect(elf.segments).toEqual(want);
    const text = elf.section('.text')!;
    // a loaded section's address maps back to its file offset
    expect(elf.fileOffset(text.addr + 5n)).toBe(BigInt(text.offset + 5));
    expect(elf.fileOffset(1n << 60n)).toBeUndefined();
  });

  it('a BPF object compiled here: sections, .symtab and the map/program names in it', () => {
    const elf = expectSectionsAsLlvm(bpfPath);
    expect(elf.machine).toBe(247); // EM_BPF
    expect(elf.type).toBe(1); // ET_REL
    expect(elf.segments).toEqual([]);
    expectSymbolsAsLlvm(elf, '.symtab', '--symbols', 'Symbols');
    const names = elf.symbols(elf.section('.symtab')!).map((s) => s.name);
    expect(names).toContain('counts');
    expect(names).toContain('kprobe__do_nanosleep');
    expect(elf.data(elf.section('license')!).toString('latin1')).toBe('GPL\0');
    expect(() => elf.symbols(elf.section('license')!)).toThrow(
      /^\S+ has section \d+ \(license\) of type 1 where a symbol table was expected$/,
    );
  });
});

describe('ElfFile on damaged files: ElfFormatError naming the file and the problem', () => {
  const expectElfError = (bytes: Buffer, message: RegExp): void => {
    const path = join(dir, 'damaged');
    writeFileSync(path, bytes);
    let caught: unknown;
    try {
      ElfFile.read(path);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ElfFormatError);
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as ElfFormatError).file).toBe(path);
    expect((caught as Error).message.startsWith(`${path} `)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  };
  const bin = readFileSync(BIN);

  it('not ELF, 32-bit, big-endian', () => {
    expect(isElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
    expectElfError(Buffer.from('#!/bin/sh\necho hi\n'), /is not an ELF file/);
    expectElfError(Buffer.from([0x7f, 0x45, 0x4c]), /is not an ELF file/);
    const c32 = Buffer.from(bin);
    c32[4] = 1;
    expectElfError(c32, /is a 32-bit ELF file; only ELF64 is read/);
    const be = Buffer.from(bin);
    be[5] = 2;
    expectElfError(be, /is a big-endian ELF file/);
  });

  it('truncated: in the header, in the section header table, in the name table', () => {
    expectElfError(bin.subarray(0, 40), /is truncated: 40 bytes, shorter than the ELF header/);
    const shoff = Number(bin.readBigUInt64LE(0x28));
    expectElfError(
      bin.subarray(0, shoff + 100),
      /section header table \(\d+ entries of 64 bytes at offset \d+\) spans bytes .* past its end/,
    );
    // name table moved past the end of the file
    const names = Buffer.from(bin);
    const shstrndx = bin.readUInt16LE(0x3e);
    names.writeBigUInt64LE(BigInt(bin.length), shoff + shstrndx * 64 + 0x18);
    expectElfError(names, /section name table \(section \d+\) spans bytes/);
    const badIndex = Buffer.from(bin);
    badIndex.writeUInt16LE(999, 0x3e);
    expectElfError(badIndex, /section name table as section 999, but has \d+ sections/);
  });

  it("a section's bytes or a symbol name outside the file: the error when they are read", () => {
    const bad = Buffer.from(bin);
    const shoff = Number(bin.readBigUInt64LE(0x28));
    const elf0 = new ElfFile(bin, BIN);
    const dynsym = elf0.section('.dynsym')!;
    const dynstr = elf0.section('.dynstr')!;
    bad.writeBigUInt64LE(1n << 40n, shoff + dynsym.index * 64 + 0x20); // a huge .dynsym
    const elf = new ElfFile(bad, 'the test image');
    expect(() => elf.data(elf.section('.dynsym')!)).toThrow(ElfFormatError);
    expect(() => elf.symbols(elf.section('.dynsym')!)).toThrow(
      new RegExp(`^the test image is truncated or damaged: section ${dynsym.index} \\(\\.dynsym\\) spans`),
    );
    // a symbol whose name offset is past its string table
    const name = Buffer.from(bin);
    name.writeUInt32LE(dynstr.size + 10, dynsym.offset + 24);
    expect(() => new ElfFile(name, 'x').symbols(dynsym)).toThrow(
      new RegExp(
        `^x has symbol 1 of section ${dynsym.index} \\(\\.dynsym\\) named at offset \\d+, past its string table`,
      ),
    );
  });

  it('an unreadable path is an InvalidArgumentError naming it', () => {
    expect(() => ElfFile.read(join(dir, 'missing'))).toThrow(InvalidArgumentError);
    expect(() => ElfFile.read(join(dir, 'missing'))).toThrow(/cannot read .*missing: ENOENT/);
  });
});
