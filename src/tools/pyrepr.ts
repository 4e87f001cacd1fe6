/**
 * Python's repr() of plain data (dicts, lists, strings, numbers, booleans, None): how BCC's
 * tools print a dict, e.g. biolatency -j's histograms.
 */

function str(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + q;
}

/** The text Python's repr() gives for `v` (objects as dicts in insertion order). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (Buffer.isBuffer(v)) return `b${str(v.toString('latin1'))}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${str(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}
