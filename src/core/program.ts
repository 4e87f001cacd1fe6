/** A loaded BPF program (one function of an object, loaded as one type). */
import type { NativeObject } from '../../native/index.js';
import { ClosedError } from '../errors.js';
import { native } from '../native.js';
import { programTypeName } from '../uapi/program-type.js';
import { track, untrack, type Closeable } from '../resources.js';

/**
 * A program loaded into the kernel. Owned by its BpfObject, which closes it; closing it
 * yourself unloads it (attachments made from it keep it alive in the kernel until detached).
 */
export class Program implements Closeable {
  private obj: NativeObject | undefined;
  private readonly fdValue: number;
  /** The kernel's id for the program (as bpftool shows it). */
  readonly id: number;

  /** @internal */
  constructor(
    /** The C function name. */
    readonly name: string,
    /** The kernel program type it was loaded as. */
    readonly type: number,
    obj: NativeObject,
  ) {
    this.obj = obj;
    this.fdValue = obj.programFd(name);
    this.id = native().progInfo(this.fdValue).id;
    track(this);
  }

  /** The program's file descriptor. @throws ClosedError after close(). */
  get fd(): number {
    if (!this.obj) throw new ClosedError(`program ${this.name}`);
    return this.fdValue;
  }

  /** The BCC name of its type, e.g. `SCHED_CLS`. */
  get typeName(): string {
    return programTypeName(this.type);
  }

  get closed(): boolean {
    return this.obj === undefined;
  }

  get description(): string {
    return `program ${this.name} (${this.typeName}, id ${this.id})`;
  }

  /** Unloads the program (closes its fd); idempotent. */
  closeSync(): void {
    if (!this.obj) return;
    this.obj.close();
    this.obj = undefined;
    untrack(this);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}
