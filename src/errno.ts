/** errno numbers and their symbolic names. */
import { constants } from 'node:os';

let byNumber: Map<number, string> | undefined;

/** The symbolic name of an errno value (`ENOENT`), or `E<n>` when unknown. */
export function errnoName(errno: number): string {
  if (!byNumber) {
    byNumber = new Map();
    for (const [name, value] of Object.entries(constants.errno))
      if (!byNumber.has(value)) byNumber.set(value, name);
    byNumber.set(95, 'EOPNOTSUPP');
    byNumber.set(54, 'EXFULL'); // not in Node's table: a bridge with no free port number, for one
    byNumber.set(524, 'ENOTSUPP');
  }
  return byNumber.get(errno) ?? `E${errno}`;
}
