/**
 * The typed contract of the native addon. Each area declares its part in its own file; only
 * src/native.ts loads the addon.
 */
import type { BpfNative } from './bpf.js';
import type { CompilerNative } from './compiler.js';
import type { NetlinkNative } from './netlink.js';
import type { NetnsNative } from './netns.js';
import type { RuntimeNative } from './runtime.js';
import type { TracingNative } from './tracing.js';

export type * from './bpf.js';
export type * from './compiler.js';
export type * from './netlink.js';
export type * from './netns.js';
export type * from './runtime.js';
export type * from './tracing.js';

/** Everything the addon exports. */
export interface NativeAddon
  extends CompilerNative, BpfNative, NetlinkNative, NetnsNative, RuntimeNative, TracingNative {}
