/** The tools `tsbcc tool` runs, each loaded only when asked for (start-up is part of the product). */
import type { ToolDefinition } from './tool.js';

type Loader = () => Promise<{ default: ToolDefinition<never> }>;

/** Tool name -> module, in `tsbcc tool --list` order. */
const TOOLS: Record<string, Loader> = {
  biolatency: () => import('./biolatency.js'),
  biosnoop: () => import('./biosnoop.js'),
  funccount: () => import('./funccount.js'),
  funclatency: () => import('./funclatency.js'),
  hardirqs: () => import('./hardirqs.js'),
  killsnoop: () => import('./killsnoop.js'),
  offcputime: () => import('./offcputime.js'),
  opensnoop: () => import('./opensnoop.js'),
  pidpersec: () => import('./pidpersec.js'),
  softirqs: () => import('./softirqs.js'),
  stackcount: () => import('./stackcount.js'),
  stacksnoop: () => import('./stacksnoop.js'),
  syncsnoop: () => import('./syncsnoop.js'),
  tcpaccept: () => import('./tcpaccept.js'),
  tcpconnect: () => import('./tcpconnect.js'),
  vfscount: () => import('./vfscount.js'),
  vfsstat: () => import('./vfsstat.js'),
  wakeuptime: () => import('./wakeuptime.js'),
};

/** Every tool name, sorted. */
export function toolNames(): string[] {
  return Object.keys(TOOLS);
}

/** The definition of tool `name`, or undefined when there is no such tool. */
export async function loadTool(name: string): Promise<ToolDefinition<never> | undefined> {
  const load = Object.hasOwn(TOOLS, name) ? TOOLS[name] : undefined;
  return load ? (await load()).default : undefined;
}
