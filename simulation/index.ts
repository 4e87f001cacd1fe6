/** The Simulation helper and bundled testbeds for examples and tests. Re-exports only. */
export * from './simulation.js';
export * from './tc-programs.js';
