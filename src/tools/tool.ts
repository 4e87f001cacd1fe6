/**
 * What a tool is: its name, BCC's description and examples, the options it adds to its
 * command, and what it does with them in a session.
 */
import type { Command } from 'commander';
import type { ToolSession } from './session.js';

/** One `tsbcc tool <name>`. */
export interface ToolDefinition<O = Record<string, unknown>> {
  /** Command name (BCC's tool name). */
  name: string;
  /** One line, as BCC's tool describes itself. */
  description: string;
  /** The `examples:` text printed after the options by -h, one example per line. */
  examples: string;
  /** Adds the tool's options and positional arguments to its command. */
  configure(cmd: Command): void;
  /**
   * Runs the tool: loads and attaches its program (or prints it for --ebpf), prints as BCC's
   * tool prints, until its duration or count ends or Ctrl-C. Resolves to the exit code.
   * @param args The positional arguments, in the order `configure` declared them, as their
   *   parsers made them (undefined when not given).
   */
  run(opts: O, args: readonly unknown[], session: ToolSession): Promise<number>;
}

/** Declares a tool (typed options in, the same object out). */
export function defineTool<O>(def: ToolDefinition<O>): ToolDefinition<O> {
  return def;
}
