/**
 * Questions about the running kernel's types, answered from its BTF (BCC's
 * `BPF.kernel_struct_has_field` and `BPF.kernel_enum_has_val`): for programs that adapt to the
 * kernel before they are compiled.
 */
import { readFileSync } from 'node:fs';
import { Btf } from '../compiler/btf-layout.js';
import { VMLINUX_BTF } from '../compiler/kernel-header.js';
import type { TypeLayout } from '../compiler/type-layout.js';
import { TsbccError } from '../errors.js';

let kernel: Btf | undefined;

/** The kernel's BTF, parsed once per process. @throws TsbccError when it cannot be read. */
function kernelBtf(): Btf {
  if (kernel) return kernel;
  let data: Buffer;
  try {
    data = readFileSync(VMLINUX_BTF);
  } catch (e) {
    throw new TsbccError(`cannot read the kernel's BTF (${VMLINUX_BTF}): ${(e as Error).message}`, 'ENOENT', {
      cause: e,
    });
  }
  kernel = new Btf(data);
  return kernel;
}

function named(kind: 'struct' | 'union' | 'enum', name: string): TypeLayout | undefined {
  const bare = name.replace(/^\s*(struct|union|enum)\s+/, '').trim();
  const btf = kernelBtf();
  const id = btf.findByName(`${kind} ${bare}`);
  return id ? btf.layout(id) : undefined;
}

function hasField(t: TypeLayout, field: string): boolean {
  if (t.kind !== 'struct' && t.kind !== 'union') return false;
  // members of anonymous structs and unions are members of the parent, as in C
  return t.fields.some((f) => f.name === field || (f.name === '' && hasField(f.type, field)));
}

/**
 * Whether the kernel's `struct NAME` (or union) has a member `field` (members of anonymous
 * structs/unions inside it count, as C sees them).
 * @throws TsbccError when the kernel has no readable BTF.
 */
export function kernelStructHasField(struct: string, field: string): boolean {
  const t = named('struct', struct) ?? named('union', struct);
  return t !== undefined && hasField(t, field);
}

/**
 * Whether the kernel's `enum NAME` has the enumerator `value`.
 * @throws TsbccError when the kernel has no readable BTF.
 */
export function kernelEnumHasValue(enumName: string, value: string): boolean {
  const t = named('enum', enumName);
  return t?.kind === 'enum' && Object.prototype.hasOwnProperty.call(t.values, value);
}
