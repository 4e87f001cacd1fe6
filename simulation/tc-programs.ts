/**
 * Attaches a testbed's tc programs (the `programs:` of a topology) with tsbcc's public API:
 * each source file compiled once into one BpfObject (so its functions share maps, as in BCC),
 * each function loaded as SCHED_CLS and attached as a cls_bpf filter in the host's namespace.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  BpfObject,
  compile,
  TcDevice,
  type BpfFilterOptions,
  type Network,
  type PlanProgram,
  type ProgramAttacher,
} from '../src/index.js';

/** A ProgramAttacher that also owns the BPF objects it made. */
export interface TcProgramAttacher {
  attach: ProgramAttacher;
  /** The object compiled from a program file (as written in the testbed), once attached. */
  object(file: string): BpfObject | undefined;
  /** Closes the BPF objects (after the filters were removed). */
  close(): void;
}

/** Makes an attacher; relative program paths resolve against baseDir. */
export function tcProgramAttacher(baseDir: string, opts: { cflags?: string[] } = {}): TcProgramAttacher {
  const objects = new Map<string, Promise<BpfObject>>();
  const objectOf = (file: string): Promise<BpfObject> => {
    let o = objects.get(file);
    if (!o) {
      const path = isAbsolute(file) ? file : resolve(baseDir, file);
      o = compile({ file: path }, { cflags: opts.cflags ?? [] }).then((spec) => BpfObject.create(spec));
      objects.set(file, o);
    }
    return o;
  };
  const settled = new Map<string, BpfObject>();
  const attach = async (p: PlanProgram, net: Network): Promise<{ close(): Promise<void> }> => {
    const obj = await objectOf(p.file);
    settled.set(p.file, obj);
    const prog = obj.loadFunc(p.function, 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: p.dev, netns: net.nsName(p.ns) });
    try {
      // the resolved options (direct action or classid mode, actions, ...) as tc takes them
      const filter: BpfFilterOptions = p.filter;
      const link = await dev.attachBpf(prog, filter);
      return {
        close: async () => {
          await link.close();
        },
      };
    } finally {
      dev.close();
    }
  };
  return {
    attach,
    object: (file) => settled.get(file),
    close: () => {
      for (const o of settled.values()) o.close();
      settled.clear();
    },
  };
}
