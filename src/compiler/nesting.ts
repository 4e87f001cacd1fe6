/**
 * A bound on how deeply an expression nests, checked on the source text before clang sees it.
 * clang's parser recurses once per prefix operator, cast, parenthesis, assignment and `?:` of
 * an expression (3-5 KB of stack a level), so a long enough chain (`!!!!…x`, `(int)(int)…x`)
 * overflows any stack and kills the process; stock clang dies at ~20,000 levels. Compiles run
 * on a large stack (native/compiler/clang_session.h), and a source nesting deeper than
 * {@link MAX_NESTING} is refused here with its place. The estimate is conservative: it counts
 * every level the parser could take, so it may only overestimate.
 */
import { CompileError } from '../errors.js';
import type { UserSource } from './diagnostics.js';

/**
 * Deepest expression nesting accepted: far beyond any real program (clang's own limit for
 * brackets is 256), and where clang still answers in seconds (its time grows with the square
 * of the depth: 1,000 levels of `?:` take ~3 s, 4,000 take ~26 s).
 */
export const MAX_NESTING = 1_000;

// Comments, string and character literals carry no nesting; they are skipped as whole matches,
// and so are preprocessor lines (with their continuations).
const SKIP = /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|"(?:\\[\s\S]|[^"\\\n])*"?|'(?:\\[\s\S]|[^'\\\n])*'?/y;
const DIRECTIVE = /#(?:\\\r?\n|[^\n])*/y;
const TOKEN =
  /[A-Za-z_$][\w$]*|\d[\w.]*|\.\d[\w.]*|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|\S/y;
const PREFIX = new Set(['!', '~', '-', '+', '*', '&', '++', '--', 'sizeof', '_Alignof', '__extension__']);
const RIGHT_ASSOC = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=', '?']);
const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);
const RESET = new Set([';', ',']);
const WORD = /^[\w$.]/;
// keywords after which an operand starts (so `return -x` counts the minus)
const BEFORE_OPERAND = new Set(['return', 'case', 'else', 'do']);

interface Level {
  base: number;
  run: number;
  chain: number;
}

/**
 * The deepest nesting in the text and where it is (1-based line and column).
 */
export function maxNesting(text: string): { depth: number; line: number; column: number } {
  const stack: Level[] = [];
  let cur: Level = { base: 0, run: 0, chain: 0 };
  let operandNext = true; // whether the next token starts an operand (so - * & are prefix)
  let best = { depth: 0, at: 0 };
  let pos = 0;
  let lineStart = true; // only whitespace since the last newline
  const depth = (): number => cur.base + cur.run + cur.chain;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (c === 10) lineStart = true;
      pos++;
      continue;
    }
    if (c === 35 /* # */ && lineStart) {
      DIRECTIVE.lastIndex = pos;
      pos += DIRECTIVE.exec(text)?.[0].length ?? 1;
      continue;
    }
    lineStart = false;
    SKIP.lastIndex = pos;
    const skip = c === 47 /* / */ || c === 34 /* " */ || c === 39 /* ' */ ? SKIP.exec(text) : null;
    if (skip && skip[0].length > 0) {
      pos += skip[0].length;
      if (skip[0][0] === '"' || skip[0][0] === "'") operandNext = false; // a literal is an operand
      continue;
    }
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    const tok = m ? m[0] : (text[pos] ?? '');
    const at = pos;
    pos += Math.max(tok.length, 1);
    if (OPEN.has(tok)) {
      stack.push(cur);
      cur = { base: depth() + 1, run: 0, chain: 0 };
      operandNext = true;
    } else if (CLOSE.has(tok)) {
      const outer = stack.pop() ?? { base: 0, run: 0, chain: 0 };
      // a parenthesised group may be a cast, continuing the prefix chain it ends
      cur = { ...outer, run: tok === ')' ? outer.run + 1 : outer.run };
      operandNext = tok !== ']';
    } else if (RESET.has(tok)) {
      cur = { base: cur.base, run: 0, chain: 0 };
      operandNext = true;
    } else if (RIGHT_ASSOC.has(tok)) {
      cur.chain++;
      cur.run = 0;
      operandNext = true;
    } else if (operandNext && PREFIX.has(tok)) {
      cur.run++;
    } else if (WORD.test(tok)) {
      // an operand ends the prefix chain before it (its depth is counted already)
      cur.run = 0;
      operandNext = BEFORE_OPERAND.has(tok);
    } else {
      // an infix operator: what follows starts a new operand at the same level
      cur.run = 0;
      operandNext = true;
    }
    if (depth() > best.depth) best = { depth: depth(), at };
  }
  const before = text.slice(0, best.at);
  const line = before.split('\n').length;
  return { depth: best.depth, line, column: best.at - before.lastIndexOf('\n') };
}

/**
 * Refuses a source whose expressions nest deeper than {@link MAX_NESTING}.
 * @throws CompileError at the deepest place.
 */
export function checkNesting(source: UserSource): void {
  const n = maxNesting(source.text);
  if (n.depth <= MAX_NESTING) return;
  throw new CompileError([
    {
      severity: 'error',
      message: `expression nested ${n.depth} levels deep (at most ${MAX_NESTING}: the parser recurses once per level)`,
      file: source.displayName,
      line: n.line,
      column: n.column,
      sourceLine: (source.text.split('\n')[n.line - 1] ?? '').slice(0, 200),
    },
  ]);
}
