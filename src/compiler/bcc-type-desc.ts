/**
 * BCC's JSON description of a map key/leaf type (what BCC's Python bindings build ctypes
 * from), derived from a TypeLayout: scalars by clang name (typedefs resolved, enums as their
 * integer type, pointers as "unsigned long long"); records as [name, fields, kind] with
 * explicit padding and kind "struct_packed" for structs without bitfields.
 */
import type { TypeLayout } from './type-layout.js';

/** A BCC type description. */
export type BccTypeDesc = string | [string, BccFieldDesc[], 'struct' | 'struct_packed' | 'union'];
/** A field: [name, type], [name, type, [dims]] or [name, type, bits]. */
export type BccFieldDesc =
  [string, BccTypeDesc] | [string, BccTypeDesc, number[]] | [string, BccTypeDesc, number];

function enumInt(size: number, signed: boolean): string {
  const base = size === 1 ? 'char' : size === 2 ? 'short' : size === 8 ? 'long long' : 'int';
  return signed ? (base === 'char' ? 'signed char' : base) : `unsigned ${base}`;
}

function scalar(t: TypeLayout): string | undefined {
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.name;
    case 'enum':
      return enumInt(t.size, t.signed);
    case 'pointer':
      return 'unsigned long long';
    case 'void':
      return 'void';
    default:
      return undefined;
  }
}

/** The BCC description of a type. */
export function bccTypeDesc(t: TypeLayout): BccTypeDesc {
  const s = scalar(t);
  if (s !== undefined) return s;
  if (t.kind === 'array') {
    // a bare array type: describe its element (arrays appear as fields in BCC's format)
    return bccTypeDesc(t.element);
  }
  if (t.kind !== 'struct' && t.kind !== 'union') return 'char';
  const name = t.name.replace(/^(struct|union) /, '').replace('<anonymous>', '');
  const hasBits = t.fields.some((f) => f.bitSize !== undefined);
  const flexible = t.fields.some((f) => f.type.kind === 'array' && f.type.length === 0);
  const fields: BccFieldDesc[] = [];
  let end = 0;
  t.fields.forEach((f, i) => {
    if (t.kind === 'struct' && !hasBits && !flexible && f.offset > end)
      fields.push([`__pad_${i}`, 'char', [f.offset - end]]);
    let type = f.type;
    const dims: number[] = [];
    while (type.kind === 'array') {
      dims.push(type.length);
      type = type.element;
    }
    const desc = bccTypeDesc(type);
    if (f.bitSize !== undefined) fields.push([f.name, desc, f.bitSize]);
    else if (dims.length > 0) fields.push([f.name, desc, dims]);
    else fields.push([f.name, desc]);
    end = Math.max(end, f.offset + f.type.size);
  });
  if (t.kind === 'union') return [name, fields, 'union'];
  if (hasBits || flexible) return [name, fields, 'struct'];
  if (t.size > end) fields.push(['__pad_end', 'char', [t.size - end]]);
  return [name, fields, 'struct_packed'];
}
