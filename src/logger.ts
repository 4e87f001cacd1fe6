/**
 * The injectable leveled logger (DESIGN D12). The library never writes to the console on its
 * own: the default logger is silent unless TSBCC_LOG names a level, in which case it writes to
 * stderr.
 */

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** What tsbcc logs through. Replace it with {@link setLogger}. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger writing `tsbcc <level>: msg {fields}` lines to stderr at or above `level`. */
export function createStderrLogger(level: LogLevel): Logger {
  const emit = (l: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, jsonSafe)}` : '';
    process.stderr.write(`tsbcc ${l}: ${msg}${extra}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function jsonSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function parseLevel(s: string | undefined): LogLevel {
  return s === 'debug' || s === 'info' || s === 'warn' || s === 'error' ? s : 'silent';
}

let current: Logger | undefined;

/** The logger in use: the one set with {@link setLogger}, else one configured by TSBCC_LOG. */
export function logger(): Logger {
  current ??= createStderrLogger(parseLevel(process.env.TSBCC_LOG));
  return current;
}

/** Replaces the library's logger (e.g. with pino or a test spy). */
export function setLogger(l: Logger): void {
  current = l;
}
