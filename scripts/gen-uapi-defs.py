#!/usr/bin/env python3
"""Generates include/bcc/uapi_defs.h: the integer constants of the kernel's UAPI headers
(Debian's linux-libc-dev: /usr/include/linux, asm-generic, asm), for BCC-C programs, whose
kernel header comes from BTF and so has types and enumerators but no #defines.

Every object-like `#define NAME ...` with an upper-case name in those headers is evaluated by
clang in the context of its own header (so `O_TMPFILE` becomes its number, whatever macros it
is built from); what is not an integer constant (strings, types, attributes, pointers) is left
out, and so is a name two headers give different values. The output is one
`#define NAME <literal with the C type's suffix> /* header */` per constant, sorted by name
(the compiler finds names by binary search), and needs nothing else. Names the maintained header (include/bcc/kernel_defs.h) defines are left to it;
names in DENY have a different meaning inside the kernel (HZ is USER_HZ here) or are per
kernel (LINUX_VERSION_CODE).

Run after a linux-libc-dev upgrade: scripts/gen-uapi-defs.py > include/bcc/uapi_defs.h
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = "/usr/include"
DIRS = ["linux", "asm-generic", "x86_64-linux-gnu/asm"]
CLANG = "clang-19"
DENY = {
    "HZ", "USER_HZ", "CLOCKS_PER_SEC", "LINUX_VERSION_CODE", "LINUX_VERSION_MAJOR",
    "LINUX_VERSION_PATCHLEVEL", "LINUX_VERSION_SUBLEVEL", "NULL", "EOF", "TRUE", "FALSE",
}
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
TYPES = {
    1: ("int", ""), 2: ("int", ""), 3: ("int", ""), 4: ("int", ""), 5: ("int", ""), 6: ("int", ""),
    7: ("int", ""), 8: ("unsigned int", "U"), 9: ("long", "L"), 10: ("unsigned long", "UL"),
    11: ("long long", "LL"), 12: ("unsigned long long", "ULL"),
}


def headers():
    for d in DIRS:
        base = os.path.join(INC, d)
        for dirpath, _, files in sorted(os.walk(base)):
            for f in sorted(files):
                if f.endswith(".h"):
                    yield os.path.relpath(os.path.join(dirpath, f), INC).replace("x86_64-linux-gnu/", "")


def candidates(path):
    with open(os.path.join(INC, path.replace("asm/", "x86_64-linux-gnu/asm/", 1) if path.startswith("asm/")
                           else path), errors="replace") as f:
        text = f.read().replace("\\\n", " ")
    out = []
    for m in re.finditer(r"^\s*#\s*define\s+([A-Za-z_]\w*)([ \t]+(.*))?$", text, re.M):
        name, body = m.group(1), (m.group(3) or "").strip()
        if NAME.match(name) and name not in DENY and body:
            out.append(name)
    return list(dict.fromkeys(out))


def evaluate(header, names):
    """{name: (value, type code)} for the names that are integer constants in `header`."""
    names = list(names)
    for _ in range(6):
        if not names:
            return {}
        lines = ["#include <%s>" % header]
        where = {}
        for n in names:
            where[len(lines) + 1] = n
            lines.append("const unsigned long long __v_%s = (unsigned long long)(%s);" % (n, n))
            where[len(lines) + 1] = n
            lines.append("const int __t_%s = _Generic((%s), _Bool: 1, char: 2, signed char: 3, unsigned char: 4, "
                         "short: 5, unsigned short: 6, int: 7, unsigned int: 8, long: 9, unsigned long: 10, "
                         "long long: 11, unsigned long long: 12, default: 0);" % (n, n))
        with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
            f.write("\n".join(lines) + "\n")
            src = f.name
        try:
            p = subprocess.run([CLANG, "-target", "x86_64-linux-gnu", "-S", "-emit-llvm", "-O0", "-o", "-",
                                "-w", "-ferror-limit=0", "-Wno-everything", src],
                               capture_output=True, text=True)
        finally:
            os.unlink(src)
        if p.returncode == 0:
            vals = dict(re.findall(r"^@__v_(\w+) = [^\n]*constant i64 (-?\d+)", p.stdout, re.M))
            tys = dict(re.findall(r"^@__t_(\w+) = [^\n]*constant i32 (\d+)", p.stdout, re.M))
            return {n: (int(vals[n]), int(tys[n])) for n in names if n in vals and int(tys.get(n, 0)) in TYPES}
        bad = set()
        for m in re.finditer(r"^%s:(\d+):\d+: error:" % re.escape(src), p.stderr, re.M):
            line = int(m.group(1))
            if line == 1:
                return {}  # the header does not compile on its own
            if line in where:
                bad.add(where[line])
        if not bad:
            return {}
        names = [n for n in names if n not in bad]
    return {}


def literal(value, code):
    ctype, suffix = TYPES[code]
    if suffix.startswith("U"):
        value &= (1 << 64) - 1 if ctype in ("unsigned long", "unsigned long long") else (1 << 32) - 1
    else:
        bits = 32 if ctype == "int" else 64
        value &= (1 << bits) - 1
        if value >= 1 << (bits - 1):
            value -= 1 << bits
    if value < 0:
        # INT_MIN-style values cannot be written as a negated literal of the same type
        return "(-%d%s - 1)" % (-(value + 1), suffix) if value == -(1 << 63) or value == -(1 << 31) \
            else "(-%d%s)" % (-value, suffix)
    return ("0x%x%s" % (value, suffix)) if value > 0xffff else "%d%s" % (value, suffix)

INDEX_EVERY = 64


def render(defs):
    """The header: one `#define NAME VALUE /* header */` a line, sorted by name (byte order), after
    an index of every INDEX_EVERY-th name with its line's byte offset counted from the line after
    the include guard, and where `#endif` starts (-END-). The compiler reads the index and then
    only the blocks of lines that can hold the names a program spells (src/compiler/uapi-defs.ts)."""
    lines = ["#define %s %s /* %s */" % d for d in defs]
    index, offset = [], 0
    for i, line in enumerate(lines):
        if i % INDEX_EVERY == 0:
            index.append("%s %d" % (defs[i][0], offset))
        offset += len(line.encode()) + 1
    index.append("-END- %d" % offset)
    out = [
        "/* tsbcc: integer constants of the kernel's UAPI headers, for BCC-C programs (BTF carries",
        " * types and enumerators, not #defines). GENERATED by scripts/gen-uapi-defs.py from",
        " * linux-libc-dev; do not edit: add kernel-internal macros to kernel_defs.h instead.",
        " * One #define a line, sorted by name (byte order), the header it comes from in a comment.",
        " * The compiler gives each program only the constants it names (src/compiler/uapi-defs.ts),",
        " * found through this index: every %dth name and the byte offset of its line, counted from" % INDEX_EVERY,
        " * the line after the include guard; -END- is where #endif starts.",
        "uapi-index",
    ] + index + [
        "*/",
        "#ifndef __TSBCC_UAPI_DEFS_H",
        "#define __TSBCC_UAPI_DEFS_H",
    ] + lines + ["#endif"]
    return "\n".join(out)


def main():
    with open(os.path.join(ROOT, "include", "bcc", "kernel_defs.h")) as f:
        maintained = set(re.findall(r"^\s*#\s*define\s+(\w+)", f.read(), re.M))
    found, conflicts, origin = {}, set(), {}
    for h in headers():
        names = [n for n in candidates(h) if n not in maintained]
        for n, v in evaluate(h, names).items():
            if n in found and found[n] != v:
                conflicts.add(n)
            elif n not in found:
                found[n] = v
                origin[n] = h
        print("%s: %d" % (h, len(found)), file=sys.stderr)
    print(render([(n, literal(*found[n]), origin[n]) for n in sorted(found) if n not in conflicts]))
    print("%d constants, %d left out for conflicting values: %s" % (
        len(found) - len(conflicts), len(conflicts), " ".join(sorted(conflicts))), file=sys.stderr)


if __name__ == "__main__":
    main()
