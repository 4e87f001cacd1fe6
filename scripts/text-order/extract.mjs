// Reads callgrind output files and prints, in first-seen order, the symbols executed inside
// one object (the unstripped addon). Usage: node extract.mjs OBJECT_SUFFIX FILE...
import { readFileSync } from 'node:fs';

const [suffix = 'tsbcc.node', ...files] = process.argv.slice(2);
const seen = new Set();
for (const file of files) {
  const objects = new Map();
  const functions = new Map();
  let inObject = false;
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    // callgrind compresses names: "fn=(12) name" defines id 12, "fn=(12)" reuses it
    const m = /^(ob|cob|fn|cfn)=\((\d+)\)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const [, kind, id, name] = m;
    const table = kind === 'ob' || kind === 'cob' ? objects : functions;
    if (name !== undefined) table.set(id, name);
    if (kind === 'ob') inObject = (objects.get(id) ?? '').endsWith(suffix);
    if (kind === 'fn' && inObject) {
      const fn = functions.get(id);
      if (fn && !seen.has(fn)) seen.add(fn);
    }
  }
}
process.stdout.write([...seen].join('\n') + '\n');
