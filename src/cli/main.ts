#!/usr/bin/env node
/** The tsbcc command line. */
import { Command } from 'commander';
import { TsbccError } from '../errors.js';
import { registerCheckCommands } from './check.js';
import { registerCompileCommands } from './compile.js';
import { registerDoctorCommand } from './doctor.js';
import { registerTopologyCommands } from './topology.js';
import { registerTcCommands } from './tc.js';

// `tsbcc ... | head`: a closed pipe ends the command quietly, as for other Unix tools
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const program = new Command();
program.name('tsbcc').description('BPF Compiler Collection for TypeScript').showHelpAfterError();
registerDoctorCommand(program);
registerCompileCommands(program);
registerCheckCommands(program);
registerTopologyCommands(program);
registerTcCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof TsbccError) {
    console.error(`tsbcc: ${e.message}`);
  } else {
    console.error(e);
  }
  process.exitCode = 1;
});
