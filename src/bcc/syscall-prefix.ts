/**
 * The kernel's syscall symbol prefix for BCC's `kprobe__sys_*` names (what the naming table in
 * src/compiler/program-naming.ts does not know: it depends on the running kernel).
 */
import { readFileSync } from 'node:fs';

const SYSCALL_PREFIXES = [
  'sys_',
  '__x64_sys_',
  '__x32_compat_sys_',
  '__ia32_compat_sys_',
  '__arm64_sys_',
  '__s390x_sys_',
  '__s390_sys_',
  '__riscv_sys_',
];
let syscallPrefix: string | undefined;

/** The running kernel's syscall symbol prefix (BCC's get_syscall_prefix). */
export function getSyscallPrefix(): string {
  if (syscallPrefix !== undefined) return syscallPrefix;
  let syms = '';
  try {
    syms = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    // not readable
  }
  syscallPrefix = SYSCALL_PREFIXES.find((p) => syms.includes(` ${p}bpf\n`)) ?? 'sys_';
  return syscallPrefix;
}

/** `sys_X` mapped onto the running kernel's syscall symbol (BCC's fix_syscall_fnname). */
export function fixSyscallFnname(name: string): string {
  for (const p of SYSCALL_PREFIXES) if (name.startsWith(p)) return getSyscallPrefix() + name.slice(p.length);
  return name;
}
