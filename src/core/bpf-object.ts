/**
 * BpfObject: the live form of an ObjectSpec. Maps are created once; any function can then be
 * loaded as any type, at any time and in any order, and all share the object's maps (D4: one
 * libbpf object per loaded function, with the map fds reused). The object model: programs, raw
 * map handles, pins and ownership; typed tables, readers and attachments live in the layers
 * above, and the BCC facade (src/bcc/bpf.ts) composes them.
 */
import { unlinkSync } from 'node:fs';
import type { NativeLoadError, NativeObject } from '../../native/index.js';
import type { ObjectSpec } from '../compiler/object-spec.js';
import { ClosedError, InvalidArgumentError, TsbccError, fromNative } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { mapInfoOf, RawMap } from './raw-map.js';
import { pinObject, type PinOptions } from './pin.js';
import { registerSharedMap, sharedMapFd, unregisterSharedMaps } from './shared-maps.js';
import { Program } from './program.js';
import { coreTargetBtf } from './core-target-btf.js';
import {
  ProgramType,
  isProgramTypeName,
  programTypeName,
  type ProgramTypeName,
} from '../uapi/program-type.js';
import { track, untrack, type Closeable } from '../resources.js';
import { verifierError } from './verifier.js';

/** Options for loading a function. */
export interface LoadFuncOptions {
  /**
   * Expected attach type (kernel number) for types that need one (TRACING, LSM, ...). Default:
   * the one the function's name or section implies, when it is loaded as the type they imply.
   */
  expectedAttachType?: number;
  /** Initial verifier-log buffer size in bytes; grows when the kernel says it is too small. */
  logSize?: number;
  /** Verifier log level (0: only on failure, 1: always, 2: with states). */
  logLevel?: 0 | 1 | 2;
}

const MAX_LOG = 1 << 30;

function isLoadError(e: unknown): e is NativeLoadError {
  return typeof e === 'object' && e !== null && 'verifierLogs' in e;
}

/** Program types the kernel refuses without an expected attach type, and the hooks to name. */
const ATTACH_REQUIRED: Record<number, string> = {
  25: 'CGROUP_GETSOCKOPT or CGROUP_SETSOCKOPT', // CGROUP_SOCKOPT
  18: 'CGROUP_INET4_BIND, CGROUP_INET4_CONNECT, CGROUP_UDP4_SENDMSG, ...', // CGROUP_SOCK_ADDR
};

/**
 * A loaded object. Close it (or `using`) to unload every program and release every map; the
 * registry closes it at exit otherwise.
 */
export class BpfObject implements Closeable {
  private mapsObj: NativeObject | undefined;
  private readonly programs = new Map<string, Program>();
  private readonly mapHandles = new Map<string, RawMap>();
  private readonly owned = new Set<Closeable>();
  private readonly pins: string[] = [];

  private constructor(
    readonly spec: ObjectSpec,
    mapsObj: NativeObject,
  ) {
    this.mapsObj = mapsObj;
    track(this);
  }

  /**
   * Creates the object's maps in the kernel; loads no program yet.
   * @throws SyscallError when a map cannot be created (e.g. EPERM without CAP_BPF).
   */
  static create(spec: ObjectSpec): BpfObject {
    const n = native();
    let obj: NativeObject;
    try {
      obj = new n.NativeObject(spec.elf, spec.name, coreTargetBtf(spec.elf));
    } catch (e) {
      throw fromNative(e, `open ${spec.name}`);
    }
    const toPin: { name: string; path: string }[] = [];
    try {
      // BPF_TABLE("extern", ...): the map a *_PUBLIC / *_SHARED table of an earlier object made
      for (const m of spec.maps) if (m.extern) obj.reuseMapFd(m.name, sharedMapFd(m.name, spec.name));
      // BCC pinned tables (`name:path`): reuse the pinned map when it exists, else pin after creation
      for (const m of spec.maps) {
        if (!m.pinPath) continue;
        let fd: number | undefined;
        try {
          fd = n.objGet(m.pinPath);
        } catch {
          toPin.push({ name: m.name, path: m.pinPath });
        }
        if (fd !== undefined) {
          try {
            obj.reuseMapFd(m.name, fd);
          } finally {
            n.closeFd(fd);
          }
        }
      }
      for (const p of obj.programs()) obj.setAutoload(p.name, false);
      obj.load();
      for (const p of toPin) pinObject(obj.mapFd(p.name), p.path, `map ${p.name}`);
    } catch (e) {
      obj.close();
      const detail = isLoadError(e) && e.libbpfLog ? e.libbpfLog.trim() : undefined;
      throw fromNative(e, `creating the maps of ${spec.name}${detail ? `: ${detail}` : ''}`);
    }
    const created = new BpfObject(spec, obj);
    for (const m of spec.maps) if (m.shared) registerSharedMap(m.name, obj.mapFd(m.name), created);
    return created;
  }

  private live(): NativeObject {
    if (!this.mapsObj) throw new ClosedError(`BPF object ${this.spec.name}`);
    return this.mapsObj;
  }

  get closed(): boolean {
    return this.mapsObj === undefined;
  }

  get description(): string {
    return `BPF object ${this.spec.name}`;
  }

  /**
   * Loads function `name` as program type `type` (a BCC name such as `SCHED_CLS`, or the
   * kernel number). Loading the same name again returns the loaded program.
   * @throws InvalidArgumentError for an unknown function or type name.
   * @throws VerifierError with the full log when the kernel rejects the program.
   */
  loadFunc(name: string, type: ProgramTypeName | number, opts: LoadFuncOptions = {}): Program {
    const mapsObj = this.live();
    const existing = this.programs.get(name);
    if (existing && !existing.closed) return existing;
    const spec = this.spec.programs.find((p) => p.name === name);
    if (!spec) {
      const known = this.spec.programs.map((p) => p.name).join(', ') || 'none';
      throw new InvalidArgumentError(`${this.spec.name} has no function "${name}" (functions: ${known})`);
    }
    let typeNum: number;
    if (typeof type === 'number') typeNum = type;
    else if (isProgramTypeName(type)) typeNum = ProgramType[type];
    else throw new InvalidArgumentError(`unknown program type "${String(type)}"`);
    const expectedAttachType =
      opts.expectedAttachType ?? (spec.type === typeNum ? spec.expectedAttachType : undefined);
    const hooks = ATTACH_REQUIRED[typeNum];
    if (hooks && expectedAttachType === undefined)
      throw new InvalidArgumentError(
        `loadFunc("${name}", ${programTypeName(typeNum)}): the kernel loads this type for one hook only; give expectedAttachType (${hooks})`,
      );

    let logSize = opts.logSize ?? 1 << 20;
    for (;;) {
      const obj = new (native().NativeObject)(this.spec.elf, this.spec.name, coreTargetBtf(this.spec.elf));
      try {
        for (const p of obj.programs()) obj.setAutoload(p.name, p.name === name);
        obj.setProgramType(name, typeNum, expectedAttachType);
        for (const m of obj.maps()) obj.reuseMapFd(m.name, mapsObj.mapFd(m.name));
        obj.setLogSize(name, logSize, opts.logLevel ?? 0);
        obj.load();
      } catch (e) {
        obj.close();
        if (!isLoadError(e)) throw fromNative(e, `load ${name}`);
        const log = e.verifierLogs[name] ?? '';
        if (e.errno === 28 /* ENOSPC: log too small */ && logSize < MAX_LOG) {
          logSize *= 8;
          logger().debug(`verifier log for ${name} too small, retrying with ${logSize} bytes`);
          continue;
        }
        // EAGAIN: the verifier gave up because a signal was pending, on every one of libbpf's
        // attempts (the native load holds the usual busy-process signals, profiler and timer
        // ones included: native/bpf/signals_held.h); the partial log is no rejection
        if (e.errno === 11)
          throw fromNative(
            e,
            `load ${name}: the verifier was interrupted by a signal on each attempt (EAGAIN); load again`,
          );
        if (log.trim() || e.errno === 13 || e.errno === 22) {
          throw verifierError(name, e.errno, log.trim() ? log : e.libbpfLog, this.spec.userSource);
        }
        throw fromNative(e, `load ${name} as ${programTypeName(typeNum)}: ${e.libbpfLog.trim()}`);
      }
      const prog = new Program(name, typeNum, obj);
      this.programs.set(name, prog);
      logger().debug(`loaded ${prog.description}`);
      return prog;
    }
  }

  /** A program loaded earlier with loadFunc, or undefined. */
  program(name: string): Program | undefined {
    return this.programs.get(name);
  }

  /**
   * The map named `name` as raw bytes (typed tables build on it). The handle is owned by this
   * object and closed with it.
   * @throws InvalidArgumentError when the object has no such map.
   */
  map(name: string): RawMap {
    const obj = this.live();
    let m = this.mapHandles.get(name);
    if (m && !m.closed) return m;
    const spec = this.spec.maps.find((x) => x.name === name);
    if (!spec) {
      const known = this.spec.maps.map((x) => x.name).join(', ') || 'none';
      throw new InvalidArgumentError(`${this.spec.name} has no map "${name}" (maps: ${known})`);
    }
    const fd = native().dupFd(obj.mapFd(name));
    m = new RawMap(mapInfoOf(spec), fd);
    this.mapHandles.set(name, m);
    return m;
  }

  /** Closes `c` when this object closes (event readers, links made from its programs). */
  own<T extends Closeable>(c: T): T {
    this.live();
    this.owned.add(c);
    return c;
  }

  /**
   * Pins map `name` at `path` on bpffs (BPF_OBJ_PIN). With `temporary`, the pin is removed when
   * this object closes (also at exit through the registry).
   * @throws SyscallError (EEXIST when the path is taken; EPERM/ENOENT when not on bpffs).
   */
  pinMap(name: string, path: string, opts: PinOptions = {}): void {
    pinObject(this.map(name).fd, path, `map ${name}`);
    if (opts.temporary) this.pins.push(path);
  }

  /**
   * Pins loaded program `name` at `path` on bpffs; a pinned program stays loaded after this
   * process exits unless the pin is `temporary`.
   * @throws InvalidArgumentError when the program is not loaded; SyscallError on failure.
   */
  pinProgram(name: string, path: string, opts: PinOptions = {}): void {
    const p = this.programs.get(name);
    if (!p || p.closed) throw new InvalidArgumentError(`${this.spec.name}: program "${name}" is not loaded`);
    pinObject(p.fd, path, `program ${name}`);
    if (opts.temporary) this.pins.push(path);
  }

  /** Unloads every program and releases every map; idempotent. */
  closeSync(): void {
    if (!this.mapsObj) return;
    const errors: unknown[] = [];
    for (const c of [...this.owned].reverse()) {
      try {
        c.closeSync();
      } catch (e) {
        errors.push(e);
      }
    }
    this.owned.clear();
    for (const path of this.pins.splice(0)) {
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(e);
      }
    }
    for (const p of this.programs.values()) {
      try {
        p.closeSync();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const m of this.mapHandles.values()) {
      try {
        m.closeSync();
      } catch (e) {
        errors.push(e);
      }
    }
    unregisterSharedMaps(this);
    this.mapsObj.close();
    this.mapsObj = undefined;
    untrack(this);
    if (errors.length > 0) throw new TsbccError(`closing ${this.spec.name}: ${String(errors[0])}`);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}
