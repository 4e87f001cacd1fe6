/**
 * TRACEPOINT_PROBE argument structs from tracefs format files, by BCC's rules: the 8-byte
 * common header collapsed into `u64 __do_not_use__`, padding for gaps, `__data_loc` fields as
 * `int data_loc_<name>`, symbolic array sizes resolved, small types widened to their size.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A tracepoint the program refers to. */
export interface TracepointRef {
  category: string;
  event: string;
  /** Where the program names it: 1-based line and column of the reference. */
  line?: number;
  column?: number;
}

function position(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** Tracepoints named by TRACEPOINT_PROBE(cat, evt) or `struct tracepoint__cat__evt`. */
export function referencedTracepoints(source: string): TracepointRef[] {
  const seen = new Map<string, TracepointRef>();
  for (const m of source.matchAll(/TRACEPOINT_PROBE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)/g)) {
    seen.set(`${m[1]}:${m[2]}`, { category: m[1] ?? '', event: m[2] ?? '', ...position(source, m.index) });
  }
  for (const m of source.matchAll(/struct\s+tracepoint__(\w+)__(\w+)/g)) {
    // category is between `tracepoint__` and the last `__`
    const full = `${m[1]}__${m[2]}`;
    const sep = full.lastIndexOf('__');
    const category = full.slice(0, sep);
    const event = full.slice(sep + 2);
    if (!seen.has(`${category}:${event}`))
      seen.set(`${category}:${event}`, { category, event, ...position(source, m.index) });
  }
  return [...seen.values()];
}

const WIDEN: Record<number, { signed: string[]; unsigned: string[]; s: string; u: string }> = {
  2: { signed: ['char', 'int8_t', 's8'], unsigned: ['unsigned char', 'uint8_t', 'u8'], s: 's16', u: 'u16' },
  4: {
    signed: ['char', 'short', 'int8_t', 'int16_t', 's8', 's16'],
    unsigned: ['unsigned char', 'unsigned short', 'uint8_t', 'uint16_t', 'u8', 'u16'],
    s: 's32',
    u: 'u32',
  },
  8: {
    signed: ['char', 'short', 'int', 'int8_t', 'int16_t', 'int32_t', 'pid_t', 's8', 's16', 's32'],
    unsigned: [
      'unsigned char',
      'unsigned short',
      'unsigned int',
      'unsigned',
      'uint8_t',
      'uint16_t',
      'uint32_t',
      'u8',
      'u16',
      'u32',
      'uid_t',
      'gid_t',
    ],
    s: 's64',
    u: 'u64',
  },
};

/**
 * The C struct `tracepoint__<cat>__<evt>` for a format file's text.
 * @param resolveDim value of a symbolic array size (e.g. TASK_COMM_LEN), when known.
 */
export function tracepointStruct(
  ref: TracepointRef,
  format: string,
  resolveDim: (name: string) => number | undefined = () => undefined,
): string {
  const lines: string[] = [`struct tracepoint__${ref.category}__${ref.event} {`];
  let pos = 0;
  let commonDone = false;
  for (const line of format.split('\n')) {
    const m = /^\s*field:([^;]*);\s*offset:(\d+);\s*size:(\d+);/.exec(line);
    if (!m) continue;
    const decl = (m[1] ?? '').trim();
    const offset = Number(m[2]);
    const size = Number(m[3]);
    const sp = Math.max(decl.lastIndexOf(' '), decl.lastIndexOf('\t'));
    let type = decl.slice(0, sp).trim();
    let name = decl.slice(sp + 1).trim();
    if (name.startsWith('common_')) {
      if (!commonDone) {
        lines.push('  u64 __do_not_use__;');
        commonDone = true;
        pos = 8;
      }
      for (; pos < offset + size; pos++) lines.push(`  char __do_not_use__${pos};`);
      continue;
    }
    if (!commonDone) {
      lines.push('  u64 __do_not_use__;');
      commonDone = true;
      pos = 8;
    }
    for (; pos < offset; pos++) lines.push(`  char __pad_${pos};`);
    pos = offset + size;
    if (type.includes('__data_loc')) {
      name = name.replace(/\[.*\]$/, '');
      lines.push(`  int data_loc_${name};`);
      continue;
    }
    name = name.replace(/\[([A-Za-z_]\w*)\]/g, (all, dim: string) => {
      const v = resolveDim(dim);
      return v === undefined ? all : `[${v}]`;
    });
    const widen = name.includes('[') ? undefined : WIDEN[size];
    if (widen) {
      const t = type.replace(/^const\s+/, '');
      if (widen.signed.includes(t)) type = widen.s;
      else if (widen.unsigned.includes(t)) type = widen.u;
    }
    lines.push(`  ${type} ${name};`);
  }
  lines.push('};');
  return lines.join('\n');
}

/** Reads the format file of a tracepoint under the tracefs root. */
export async function readTracepointFormat(tracefs: string, ref: TracepointRef): Promise<string | undefined> {
  try {
    return await readFile(join(tracefs, 'events', ref.category, ref.event, 'format'), 'utf8');
  } catch {
    return undefined;
  }
}
