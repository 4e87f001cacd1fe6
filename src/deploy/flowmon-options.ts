/**
 * `tsbcc flowmon`'s options: their defaults, checks, the `ADDR:PORT` of --metrics, and the
 * optional config file (YAML) that SIGHUP re-reads. Options given on the command line win over
 * the file; the file wins over the defaults.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { yaml } from '../util/yaml.js';

/** Where /metrics and the dashboard are served. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Everything flowmon runs with. */
export interface FlowmonOptions {
  /** The underlay interface to watch. */
  dev: string;
  /** Its network namespace (a name under /run/netns or a path); the current one when absent. */
  netns?: string;
  /** tc hooks: both (default), ingress or egress. */
  direction: 'both' | 'ingress' | 'egress';
  /** Seconds between two tables (-i; default 5). */
  interval: number;
  /** Rows of the table (-n; default 10). */
  top: number;
  /** Stop after this many tables (default: run until SIGTERM/SIGINT). */
  count?: number;
  /** Serve /metrics, /flows.json and the dashboard there. */
  metrics?: ListenAddress;
  /** Seconds without a packet after which a flow is removed (default 300). */
  idle: number;
  /** VXLAN UDP port (default 4789). */
  vxlanPort: number;
  /** Size of the flow table, an LRU hash (default 65536). */
  maxFlows: number;
}

/** The defaults of everything but `dev`. */
export const FLOWMON_DEFAULTS = {
  direction: 'both',
  interval: 5,
  top: 10,
  idle: 300,
  vxlanPort: 4789,
  maxFlows: 65536,
} as const satisfies Partial<FlowmonOptions>;

/** Keys a config file may hold (the long option names). */
const FILE_KEYS = [
  'dev',
  'netns',
  'direction',
  'interval',
  'top',
  'count',
  'metrics',
  'idle',
  'vxlan-port',
  'max-flows',
] as const;

/** Parses `ADDR:PORT`, `[v6addr]:PORT` or `:PORT` (all addresses: 0.0.0.0). */
export function parseListenAddress(text: string, where = '--metrics'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new InvalidArgumentError(
      `${where}: "${text}" is not ADDR:PORT (e.g. 127.0.0.1:9100, :9100, [::1]:9100)`,
    );
  }
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '0.0.0.0' : m[2]);
  return { host, port };
}

function positive(v: unknown, where: string, opts: { integer?: boolean; max?: number } = {}): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n <= 0 ||
    (opts.integer === true && !Number.isInteger(n))
  ) {
    throw new InvalidArgumentError(
      `${where}: ${JSON.stringify(v)} is not a ${opts.integer === true ? 'positive integer' : 'positive number'}`,
    );
  }
  if (opts.max !== undefined && n > opts.max) {
    throw new InvalidArgumentError(`${where}: ${n} is more than ${opts.max}`);
  }
  return n;
}

/** Raw values by long option name, as commander or a config file gives them. */
export type FlowmonInput = Partial<Record<(typeof FILE_KEYS)[number], unknown>>;

/**
 * Checks and completes options: `cli` (command line) over `file` (config file) over the defaults.
 * @throws InvalidArgumentError naming the option (or the file and key) and what is wrong.
 */
export function resolveFlowmonOptions(
  cli: FlowmonInput,
  file: FlowmonInput = {},
  fileName = 'config',
): FlowmonOptions {
  const pick = (k: (typeof FILE_KEYS)[number]): { v: unknown; where: string } =>
    cli[k] !== undefined ? { v: cli[k], where: `--${k}` } : { v: file[k], where: `${fileName}: ${k}` };
  const dev = pick('dev');
  if (typeof dev.v !== 'string' || dev.v === '') {
    throw new InvalidArgumentError('--dev: the interface to watch is required (or dev: in the config file)');
  }
  const netns = pick('netns');
  if (netns.v !== undefined && (typeof netns.v !== 'string' || netns.v === '')) {
    throw new InvalidArgumentError(`${netns.where}: a namespace name or path`);
  }
  const direction = pick('direction');
  const dir = direction.v ?? FLOWMON_DEFAULTS.direction;
  if (dir !== 'both' && dir !== 'ingress' && dir !== 'egress') {
    throw new InvalidArgumentError(`${direction.where}: ${JSON.stringify(dir)}: use both, ingress or egress`);
  }
  const num = (
    k: (typeof FILE_KEYS)[number],
    def: number | undefined,
    o?: { integer?: boolean; max?: number },
  ) => {
    const { v, where } = pick(k);
    return v === undefined ? def : positive(v, where, o);
  };
  const metrics = pick('metrics');
  let listen: ListenAddress | undefined;
  if (metrics.v !== undefined) {
    if (typeof metrics.v !== 'string') throw new InvalidArgumentError(`${metrics.where}: ADDR:PORT as text`);
    listen = parseListenAddress(metrics.v, metrics.where);
  }
  return {
    dev: dev.v,
    ...(netns.v !== undefined ? { netns: netns.v as string } : {}),
    direction: dir,
    interval: num('interval', FLOWMON_DEFAULTS.interval, { max: 86400 }) as number,
    top: num('top', FLOWMON_DEFAULTS.top, { integer: true, max: 100000 }) as number,
    ...(pick('count').v !== undefined ? { count: num('count', undefined, { integer: true }) as number } : {}),
    ...(listen ? { metrics: listen } : {}),
    idle: num('idle', FLOWMON_DEFAULTS.idle, { max: 30 * 86400 }) as number,
    vxlanPort: num('vxlan-port', FLOWMON_DEFAULTS.vxlanPort, { integer: true, max: 65535 }) as number,
    maxFlows: num('max-flows', FLOWMON_DEFAULTS.maxFlows, { integer: true, max: 1 << 20 }) as number,
  };
}

/**
 * Reads a flowmon config file: a YAML mapping of long option names (`interval: 2`,
 * `metrics: ":9100"`, ...).
 * @throws InvalidArgumentError for a file that cannot be read, bad YAML (file:line:col) or an
 * unknown key.
 */
export function readFlowmonConfig(path: string): FlowmonInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`${path}: ${(e as Error).message}`);
  }
  const doc = yaml().parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new InvalidArgumentError(
      `${path}${at ? `:${at.line}:${at.col}` : ''}: ${err.message.split(/ at line |\n/)[0]}`,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${path}: a mapping of option names (dev:, interval:, ...)`);
  }
  for (const k of Object.keys(value)) {
    if (!(FILE_KEYS as readonly string[]).includes(k)) {
      throw new InvalidArgumentError(`${path}: ${k}: unknown option (known: ${FILE_KEYS.join(', ')})`);
    }
  }
  return value as FlowmonInput;
}
