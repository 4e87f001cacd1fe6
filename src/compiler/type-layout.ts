/**
 * The layout of a C type as the program's BTF describes it: what the compiler records for map
 * keys and values and for event structs, and what the runtime decodes bytes with.
 */

/** A struct or union member. */
export interface FieldLayout {
  /** Member name; anonymous struct/union members have name "" (their fields are reachable through `type`). */
  name: string;
  /** Byte offset of the member within its parent (for bitfields: of the containing storage unit, rounded down). */
  offset: number;
  /** For bitfields: bit offset within the parent and width in bits. */
  bitOffset?: number;
  bitSize?: number;
  type: TypeLayout;
}

/** A C type's layout. `name` is the C spelling after resolving typedefs where it matters (e.g. `u32` → `unsigned int`), or the typedef name kept for display in `typedef`. */
export type TypeLayout =
  | {
      kind: 'int';
      name: string;
      size: number;
      signed: boolean;
      bool?: boolean;
      char?: boolean;
      typedef?: string;
    }
  | { kind: 'float'; name: string; size: number; typedef?: string }
  | { kind: 'pointer'; name: string; size: 8; typedef?: string }
  | {
      kind: 'enum';
      name: string;
      size: number;
      signed: boolean;
      values: Record<string, number>;
      typedef?: string;
    }
  | { kind: 'array'; name: string; size: number; length: number; element: TypeLayout; typedef?: string }
  | { kind: 'struct' | 'union'; name: string; size: number; fields: FieldLayout[]; typedef?: string }
  | { kind: 'void'; name: 'void'; size: 0 };
