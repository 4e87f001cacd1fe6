/** Attaching a USDT probe's handler: one uprobe per probe site, semaphores kept by the kernel. */
import type { UsdtSpec } from '../compiler/usdt.js';
import type { Program } from '../core/program.js';
import { attachUprobe } from './attach.js';
import { vaddrToFileOffset } from './elf-symbols.js';
import type { FdLink } from './fd-link.js';

/**
 * Attaches `prog` as a uprobe at every site of USDT probe `u`; a site with a semaphore gets the
 * uprobe PMU's ref_ctr_offset so the kernel raises the semaphore while attached (Linux 4.20+).
 * On failure the links made so far are closed.
 * @throws NotSupportedError without uprobes; InvalidArgumentError for addresses outside the binary.
 */
export function attachUsdtSites(prog: Program, u: UsdtSpec, pid?: number): FdLink[] {
  const links: FdLink[] = [];
  try {
    for (const loc of u.locations) {
      const sem = BigInt(loc.semaphore);
      links.push(
        attachUprobe(prog, {
          name: u.path,
          address: vaddrToFileOffset(u.path, BigInt(loc.pc)),
          ...(sem !== 0n ? { refCtrOffset: vaddrToFileOffset(u.path, sem) } : {}),
          ...(pid !== undefined ? { pid } : {}),
        }),
      );
    }
  } catch (e) {
    for (const l of links) l.closeSync();
    throw e;
  }
  return links;
}
