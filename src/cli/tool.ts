/**
 * `tsbcc tool <name> [options]` and `tsbcc tool --list`: BCC's tools. Only the named tool's
 * module is loaded, and main.ts routes here before importing the other command groups, so a
 * tool starts as fast as the library can.
 */
import { Command, CommanderError } from 'commander';
import { InvalidArgumentError, NotSupportedError, TsbccError } from '../errors.js';
import { addCommonOptions } from '../tools/args.js';
import { loadTool, toolNames } from '../tools/registry.js';
import { ToolSession, type SessionOptions } from '../tools/session.js';
import type { ToolDefinition } from '../tools/tool.js';

const USAGE = 'usage: tsbcc tool <name> [options]   (tsbcc tool <name> -h for its options)';

/** Exit code of a usage error or of a mode with no equivalent on this kernel (as argparse's). */
export const EXIT_USAGE = 2;

async function list(out: (s: string) => void): Promise<void> {
  for (const name of toolNames()) {
    const def = await loadTool(name);
    out(`${name.padEnd(14)} ${def?.description ?? ''}\n`);
  }
}

/** Builds the command of one tool (options, arguments, help with BCC-style examples). */
export function toolCommand(def: ToolDefinition<never>): Command {
  const cmd = new Command(`tsbcc tool ${def.name}`);
  cmd.description(def.description);
  def.configure(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', `\nexamples:\n${def.examples.replace(/^\n+|\s+$/g, '')}\n`);
  cmd.exitOverride();
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    writeOut: (s) => process.stdout.write(s),
  });
  return cmd;
}

/**
 * Runs `tsbcc tool ARGS...` and resolves to the exit code: 0, 1 on failure, 2 on a usage error
 * or a mode this kernel has no equivalent for (said in one line).
 */
export async function runToolCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (s: string): void => void process.stdout.write(s);
  if (name === undefined || name === '--list' || name === '-l') {
    await list(out);
    return 0;
  }
  if (name === '-h' || name === '--help') {
    out(`${USAGE}\n\n`);
    await list(out);
    return 0;
  }
  const def = await loadTool(name);
  if (!def) {
    process.stderr.write(`tsbcc tool: no tool "${name}" (tsbcc tool --list)\n`);
    return EXIT_USAGE;
  }
  const cmd = toolCommand(def);
  try {
    cmd.parse(rest, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    throw e;
  }
  const opts = cmd.opts<SessionOptions & Record<string, unknown>>();
  const session = new ToolSession(def.name, opts);
  try {
    return await def.run(opts as never, cmd.processedArgs, session);
  } catch (e) {
    if (e instanceof NotSupportedError || e instanceof InvalidArgumentError) {
      process.stderr.write(`${def.name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TsbccError) {
      process.stderr.write(`${def.name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    session.close();
  }
}

/** Registers `tool` in the command tree (for `tsbcc --help`; main.ts runs it directly). */
export function registerToolCommand(program: Command): void {
  program
    .command('tool')
    .description("BCC's tools: tsbcc tool <name> [options]; tsbcc tool --list")
    .argument('[name]', 'the tool')
    .argument('[args...]', "the tool's options")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (name: string | undefined, args: string[]) => {
      process.exitCode = await runToolCommand(name === undefined ? [] : [name, ...args]);
    });
}
