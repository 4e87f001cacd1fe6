#!/usr/bin/env node
/** The tsbcc command line. */
import { Command } from 'commander';
import { TsbccError } from '../errors.js';
import { registerCheckCommands } from './check.js';
import { registerCompileCommands } from './compile.js';
import { registerDoctorCommand } from './doctor.js';
import { registerTopologyCommands } from './topology.js';
import { registerTcCommands } from './tc.js';

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
