/** `tsbcc tc ls DEV` and `tsbcc tc clean DEV`: tsbcc's own tc filters on an interface. */
import type { Command } from 'commander';
import { listTcFilters, removeTsbccFilters } from '../tc/clean.js';
import { cleanDeadOwners, cleanSummary } from '../tc/owner-record.js';
import type { FilterInfo } from '../tc/filter-list.js';
import { parentName } from '../tc/filter.js';
import { formatHandle } from '../netlink/tc/units.js';

/** One line per filter, tc-like. */
export function renderFilters(list: FilterInfo[]): string {
  return list
    .map((f) => {
      const cols = [
        parentName(f.parent),
        `pref ${f.priority}`,
        f.kind,
        `chain ${f.chain}`,
        `handle 0x${f.handle.toString(16)}`,
      ];
      if (f.name !== undefined) cols.push(f.name);
      if (f.directAction) cols.push('direct-action');
      if (f.classid !== undefined) cols.push(`classid ${formatHandle(f.classid)}`);
      if (f.programId !== undefined) cols.push(`id ${f.programId}`);
      if (f.programName !== undefined) cols.push(`prog ${f.programName}`);
      if (f.programTag !== undefined) cols.push(`tag ${f.programTag}`);
      return cols.join(' ');
    })
    .join('\n');
}

/** Adds `tc ls` and `tc clean` to the CLI. */
export function registerTcCommands(program: Command): void {
  const tc = program.command('tc').description("tsbcc's tc filters on an interface");
  tc.command('ls')
    .argument('<dev>', 'interface')
    .option('--netns <ns>', 'network namespace (name or path)')
    .option('--all', "show every filter, not only tsbcc's")
    .option('--json', 'print JSON')
    .description("list tsbcc's cls_bpf filters on the interface (hooks, qdiscs and classes)")
    .action(async (dev: string, opts: { netns?: string; all?: boolean; json?: boolean }) => {
      const list = await listTcFilters({ interface: dev, netns: opts.netns, all: opts.all ?? false });
      if (opts.json) console.log(JSON.stringify(list, null, 2));
      else if (list.length) console.log(renderFilters(list));
    });
  tc.command('clean')
    .argument('[dev]', 'interface')
    .option('--netns <ns>', 'network namespace (name or path)')
    .description(
      "with DEV: remove tsbcc's cls_bpf filters (and only those) from the interface; " +
        'without: remove what tsbcc processes that died (e.g. by SIGKILL) recorded making — ' +
        'their qdiscs, htb classes, filters, clsact, ifb devices and XDP programs — in every namespace or in --netns',
    )
    .action(async (dev: string | undefined, opts: { netns?: string }) => {
      if (dev === undefined) {
        const reports = await cleanDeadOwners({ netns: opts.netns });
        for (const line of reports.flatMap((r) => r.removed)) console.log(`removed ${line}`);
        console.log(cleanSummary(reports));
        return;
      }
      const removed = await removeTsbccFilters({ interface: dev, netns: opts.netns });
      console.log(`removed ${removed.length} tsbcc filter${removed.length === 1 ? '' : 's'} from ${dev}`);
    });
}
