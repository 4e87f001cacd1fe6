/**
 * Whether a BPF object prints to trace_pipe: a helper call to bpf_trace_printk (6) or
 * bpf_trace_vprintk (177) in one of its executable sections. The BPF facade opens the object's
 * trace reader before attaching such an object, so no line printed after attach is missed.
 */

/** BPF_JMP | BPF_CALL. */
const CALL = 0x85;
const TRACE_PRINTK = 6;
const TRACE_VPRINTK = 177;
const SHF_EXECINSTR = 0x4;
const SHT_PROGBITS = 1;

/**
 * Scans the executable sections of a little-endian ELF64 BPF object for helper calls to
 * bpf_trace_printk / bpf_trace_vprintk. False for anything that is not such an ELF.
 */
export function usesTracePrintk(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    if (h + 0x28 > elf.length) return false;
    if (elf.readUInt32LE(h + 4) !== SHT_PROGBITS) continue;
    if ((elf.readBigUInt64LE(h + 8) & BigInt(SHF_EXECINSTR)) === 0n) continue;
    const off = Number(elf.readBigUInt64LE(h + 0x18));
    const size = Number(elf.readBigUInt64LE(h + 0x20));
    const end = Math.min(off + size, elf.length);
    for (let p = off; p + 8 <= end; p += 8) {
      // a helper call has src_reg 0 (1 is a BPF-to-BPF call, 2 a kfunc)
      if (elf[p] !== CALL || (elf[p + 1] ?? 0) >> 4 !== 0) continue;
      const imm = elf.readInt32LE(p + 4);
      if (imm === TRACE_PRINTK || imm === TRACE_VPRINTK) return true;
    }
  }
  return false;
}
