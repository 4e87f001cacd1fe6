/** Deployment: the services behind `tsbcc flowmon` (and the dashboard server it shares with tunnel_monitor). Re-exports only. */
export * from './dashboard-server.js';
export * from './flowmon-options.js';
export * from './flowmon-table.js';
export * from './flowmon.js';
