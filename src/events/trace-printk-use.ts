/**
 * Whether a BPF object prints to trace_pipe: a helper call to bpf_trace_printk (6) or
 * bpf_trace_vprintk (177) in one of its executable sections. The BPF facade opens the object's
 * trace reader before attaching such an object, so no line printed after attach is missed.
 */
import { ElfFormatError } from '../errors.js';
import { ElfFile, SHF_EXECINSTR, SHT, isElf } from '../util/elf.js';

/** BPF_JMP | BPF_CALL. */
const CALL = 0x85;
const TRACE_PRINTK = 6;
const TRACE_VPRINTK = 177;

/**
 * Scans the executable sections of a little-endian ELF64 BPF object for helper calls to
 * bpf_trace_printk / bpf_trace_vprintk. False for anything that is not such an ELF, or whose
 * section headers are damaged.
 */
export function usesTracePrintk(bytes: Buffer): boolean {
  if (!isElf(bytes)) return false;
  try {
    const elf = new ElfFile(bytes, 'the BPF object');
    for (const s of elf.sections) {
      if (s.type !== SHT.PROGBITS || !(s.flags & SHF_EXECINSTR)) continue;
      if (callsTracePrintk(elf.data(s))) return true;
    }
  } catch (e) {
    if (e instanceof ElfFormatError) return false;
    throw e;
  }
  return false;
}

function callsTracePrintk(code: Buffer): boolean {
  for (let p = 0; p + 8 <= code.length; p += 8) {
    // a helper call has src_reg 0 (1 is a BPF-to-BPF call, 2 a kfunc)
    if (code[p] !== CALL || (code[p + 1] ?? 0) >> 4 !== 0) continue;
    const imm = code.readInt32LE(p + 4);
    if (imm === TRACE_PRINTK || imm === TRACE_VPRINTK) return true;
  }
  return false;
}
