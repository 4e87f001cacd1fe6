/** Turns a failed program load into a VerifierError: summary, source line, hints. */
import { VerifierError } from '../errors.js';

const HINTS: [RegExp, string][] = [
  [
    /map_value_or_null|invalid mem access 'map_value_or_null'/,
    'check the result of a map lookup for NULL before using it',
  ],
  [
    /invalid mem access 'scalar'|invalid mem access 'inv'/,
    'a pointer was lost: read kernel memory with bpf_probe_read_kernel',
  ],
  [
    /invalid access to packet|pkt_end/,
    'compare packet pointers against data_end before reading or writing the packet',
  ],
  [
    /unbounded memory access|min value is negative|max value is outside/,
    'bound the index or length with an explicit check',
  ],
  [
    /back-edge|infinite loop|loop detected/,
    'bound every loop with a constant trip count (or use #pragma unroll)',
  ],
  [/unreachable insn/, 'remove unreachable code or make the condition depend on run-time data'],
  [
    /invalid indirect read from stack|invalid read from stack/,
    'initialise stack variables (e.g. = {} or __builtin_memset) before passing them to helpers',
  ],
  [
    /program of this type cannot use helper|unknown func/,
    'this helper is not available for the program type it was loaded as',
  ],
  [
    /cannot write into packet|cannot write into/,
    'packet writes need a tc (SCHED_CLS/SCHED_ACT) or XDP program',
  ],
  [/R0 !read_ok|At program exit the register R0/, 'the program must return a value'],
  [
    /too large|BPF program is too large/,
    'the program exceeds the verifier complexity limit: simplify or split it with tail calls',
  ],
  [/GPL-compatible|gpl_only/, 'this helper needs a GPL-compatible license (BPF_LICENSE / char _license[])'],
];

/** Extracts the reason line of a verifier log (the last meaningful line before the stats). */
export function verifierSummary(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => l.length > 0 && !/^processed \d+ insns|^verification time|^stack depth|^-- (BEGIN|END)/.test(l),
    );
  return lines[lines.length - 1] ?? 'no verifier log';
}

/** The user's source, for placing a line the verifier printed without its file and line. */
export interface VerifierSource {
  /** The name shown to the user. */
  file: string;
  text: string;
  /** The path the compiler saw, when it differs from `file` (a program given as a string). */
  path?: string;
}

/**
 * The C source line the verifier last printed, when the object carries line info. Kernels from
 * 6.2 print `; text @ file:line`; older ones print only `; text`, which is placed by finding
 * the one line of `source` with that text (left out when none or several match). The text is
 * empty when the compiler could not read the file (a program compiled from a string): it is
 * then taken from `source` at that line.
 */
export function verifierSourceLine(
  log: string,
  source?: VerifierSource,
): { file: string; line: number; text: string } | undefined {
  let last: RegExpMatchArray | undefined;
  for (const m of log.matchAll(/^; ?(.*?)(?:\s*@ (\S+):(\d+))?$/gm)) last = m;
  if (!last) return undefined;
  const text = last[1] ?? '';
  const userLines = source?.text.split('\n');
  if (last[2] !== undefined) {
    const file = last[2];
    const line = Number(last[3]);
    const mine = source && [source.file, source.path].some((p) => p !== undefined && sameFile(file, p));
    const own = mine ? userLines?.[line - 1] : undefined;
    return {
      text: text.trim() === '' && own !== undefined ? own.trim() : text,
      file: mine && source ? source.file : file,
      line,
    };
  }
  if (!source || !userLines || text.trim() === '') return undefined;
  const hits = userLines.flatMap((l, i) => (l.trim() === text.trim() ? [i + 1] : []));
  return hits.length === 1 ? { text, file: source.file, line: hits[0] as number } : undefined;
}

/** A path in the line info names the user's file: the same path, or the same last component. */
function sameFile(a: string, b: string): boolean {
  return a === b || a.split('/').pop() === b.split('/').pop();
}

/** Hints for the causes the log shows. */
export function verifierHints(log: string): string[] {
  return HINTS.filter(([re]) => re.test(log)).map(([, h]) => h);
}

/** Builds the VerifierError for a program load that failed with errno and log. */
export function verifierError(
  program: string,
  errno: number,
  log: string,
  source?: VerifierSource,
): VerifierError {
  const sourceLine = verifierSourceLine(log, source);
  const init: ConstructorParameters<typeof VerifierError>[0] = {
    program,
    errno,
    log,
    summary: verifierSummary(log),
    hints: verifierHints(log),
  };
  if (sourceLine) init.sourceLine = sourceLine;
  return new VerifierError(init);
}
