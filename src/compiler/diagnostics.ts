/** Maps clang's diagnostics onto the user's own file names and source lines. */
import type { NativeDiagnostic } from '../../native/index.js';
import type { Diagnostic } from '../errors.js';

/** A source the user wrote, known to clang by a virtual path. */
export interface UserSource {
  /** The path clang saw. */
  virtualPath: string;
  /** The name to show the user (their file path, or `<source>`). */
  displayName: string;
  text: string;
}

/** Converts native diagnostics, attaching the offending source line where the file is the user's. */
export function toDiagnostics(native: NativeDiagnostic[], sources: UserSource[]): Diagnostic[] {
  return native
    .filter((d) => d.severity !== 'ignored')
    .map((d) => {
      const src = sources.find((s) => s.virtualPath === d.file || s.displayName === d.file);
      const out: Diagnostic = {
        severity: d.severity,
        message: d.message,
        file: src ? src.displayName : d.file,
        line: d.line,
        column: d.column,
      };
      if (d.option) out.option = `-W${d.option}`;
      if (src && d.line > 0) {
        const line = src.text.split('\n')[d.line - 1];
        if (line !== undefined) out.sourceLine = line;
      }
      return out;
    });
}
