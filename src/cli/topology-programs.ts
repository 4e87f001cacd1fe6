/**
 * The tc program attacher `tsbcc topology up` uses: each program file of the testbed compiled
 * once (relative paths against the YAML's directory), each function loaded as SCHED_CLS and
 * attached as a cls_bpf filter with the program's resolved options (direct action or classid
 * mode, actions, ...) that outlives the command (keep), so the detached testbed keeps filtering
 * until `topology down` removes its namespaces.
 */
import { isAbsolute, resolve } from 'node:path';
import { compile } from '../compiler/compile.js';
import { BpfObject } from '../core/bpf-object.js';
import { TcDevice } from '../tc/device.js';
import type { BpfFilterOptions } from '../tc/filter.js';
import type { Network, PlanProgram, ProgramAttacher } from '../topology/index.js';

/** An attacher for programs of a testbed whose file lives in baseDir. */
export function keptTcAttacher(baseDir: string): ProgramAttacher {
  const objects = new Map<string, Promise<BpfObject>>();
  return async (p: PlanProgram, net: Network) => {
    const path = isAbsolute(p.file) ? p.file : resolve(baseDir, p.file);
    let obj = objects.get(path);
    if (!obj) {
      obj = compile({ file: path }).then((spec) => BpfObject.create(spec));
      objects.set(path, obj);
    }
    const prog = (await obj).loadFunc(p.function, 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: p.dev, netns: net.nsName(p.ns) });
    try {
      // PlanTcFilter is the plain-data subset of BpfFilterOptions: passed on as it is
      const opts: BpfFilterOptions = { ...p.filter, keep: true };
      const link = await dev.attachBpf(prog, opts);
      return { close: () => link.close() };
    } finally {
      dev.close();
    }
  };
}
