#!/usr/bin/env node
/** The tsbcc command line. */
import { statSync } from 'node:fs';
import { Command } from 'commander';
import { TsbccError } from '../errors.js';

// `tsbcc ... | head`: a closed pipe ends the command quietly, as for other Unix tools
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// `tsbcc tool ...` loads only the tool it runs (start-up time is part of a tool), from the
// one-module bundle of it when that is current (scripts/bundle-tools.mjs); every other command
// group is imported below.
if (process.argv[2] === 'tool') {
  const { runToolCommand } = (await import(
    toolBundleCurrent() ? './tool.bundle.mjs' : './tool.js'
  )) as typeof import('./tool.js');
  process.exit(await runToolCommand(process.argv.slice(3)));
}

/**
 * Whether dist/src/cli/tool.bundle.mjs exists and is not older than the last TypeScript emit
 * (dist/.tsbuildinfo; an installed package has none, and its bundle was built with it).
 */
function toolBundleCurrent(): boolean {
  const bundle = statSync(new URL('./tool.bundle.mjs', import.meta.url), { throwIfNoEntry: false });
  if (!bundle) return false;
  const emit = statSync(new URL('../../.tsbuildinfo', import.meta.url), { throwIfNoEntry: false });
  return !emit || emit.mtimeMs <= bundle.mtimeMs;
}

const [
  { registerCheckCommands },
  { registerCompileCommands },
  { registerDoctorCommand },
  { registerExampleCommand },
  { registerTopologyCommands },
  { registerTcCommands },
  { registerToolCommand },
  { registerFlowmonCommand },
  { registerRatelimitCommands },
] = await Promise.all([
  import('./check.js'),
  import('./compile.js'),
  import('./doctor.js'),
  import('./example.js'),
  import('./topology.js'),
  import('./tc.js'),
  import('./tool.js'),
  import('./flowmon.js'),
  import('./ratelimit.js'),
]);

const program = new Command();
program
  .name('tsbcc')
  .description('BPF Compiler Collection for TypeScript')
  .showHelpAfterError()
  // `tsbcc example NAME --opt`: options after a subcommand's operands belong to that subcommand
  .enablePositionalOptions();
registerDoctorCommand(program);
registerCompileCommands(program);
registerCheckCommands(program);
registerTopologyCommands(program);
registerTcCommands(program);
registerToolCommand(program);
registerExampleCommand(program);
registerFlowmonCommand(program);
registerRatelimitCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof TsbccError) {
    console.error(`tsbcc: ${e.message}`);
  } else {
    console.error(e);
  }
  process.exitCode = 1;
});
