/**
 * Per-CPU maps (PERCPU_HASH, LRU_PERCPU_HASH, PERCPU_ARRAY): a value per possible CPU, each in
 * an 8-byte aligned slot. Reads give an array (index = CPU) or, with a reducer, one value.
 */
import { InvalidArgumentError } from '../errors.js';
import { ArrayTable } from './array.js';
import type { Codec } from '../codec/codec.js';
import { Table } from './table.js';

/** Combines the per-CPU values of one key into one. */
export type Reducer<V, R = V> = (values: V[]) => R;

/** The codec of a per-CPU value: `cpus` slots of the element rounded up to 8 bytes. */
export function perCpuCodec<V>(element: Codec<V>, cpus: number): Codec<V[]> {
  const slot = Math.ceil(element.size / 8) * 8;
  return {
    size: slot * cpus,
    decode(b, o) {
      const out = new Array<V>(cpus);
      for (let i = 0; i < cpus; i++) out[i] = element.decode(b, o + i * slot);
      return out;
    },
    encode(v, b, o, path) {
      if (Array.isArray(v)) {
        if (v.length !== cpus)
          throw new InvalidArgumentError(
            `${path}: a per-CPU value needs ${cpus} values (one per possible CPU), got ${v.length}`,
          );
        v.forEach((x, i) => element.encode(x, b, o + i * slot, `${path}[cpu ${i}]`));
      } else {
        for (let i = 0; i < cpus; i++) element.encode(v, b, o + i * slot, path);
      }
    },
  };
}

/** A codec that reduces the per-CPU values on decode (writes still take one or all values). */
export function reducedCodec<V, R>(perCpu: Codec<V[]>, reducer: Reducer<V, R>): Codec<R> {
  return { size: perCpu.size, decode: (b, o) => reducer(perCpu.decode(b, o)), encode: perCpu.encode };
}

function asNumbers(values: unknown[]): (number | bigint)[] {
  return values.map((v) => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    throw new InvalidArgumentError('sum/max/average need integer per-CPU values; pass a reducer for structs');
  });
}

/** Sums per-CPU integers (bigint when any value is a bigint). */
export function sumReducer(values: unknown[]): number | bigint {
  const nums = asNumbers(values);
  if (nums.some((x) => typeof x === 'bigint')) return nums.reduce<bigint>((a, x) => a + BigInt(x), 0n);
  return (nums as number[]).reduce((a, x) => a + x, 0);
}

/** The largest per-CPU integer. */
export function maxReducer(values: unknown[]): number | bigint {
  const nums = asNumbers(values);
  return nums.reduce((a, x) => (x > a ? x : a), nums[0] ?? 0);
}

function average(values: unknown[]): number {
  const s = sumReducer(values);
  return values.length ? Number(s) / values.length : 0;
}

/** PERCPU_HASH / LRU_PERCPU_HASH: value = one entry per possible CPU. */
export class PerCpuHashTable<K = unknown, V = unknown> extends Table<K, V[]> {
  /** Sum over CPUs of key's value (integers); undefined when absent. */
  sum(k: K): number | bigint | undefined {
    const v = this.get(k);
    return v ? sumReducer(v) : undefined;
  }
  /** Max over CPUs. */
  max(k: K): number | bigint | undefined {
    const v = this.get(k);
    return v ? maxReducer(v) : undefined;
  }
  /** Average over CPUs. */
  average(k: K): number | undefined {
    const v = this.get(k);
    return v ? average(v) : undefined;
  }
  /** A view of the same map whose reads are reduced (BCC's `reducer=`). */
  reduced<R>(reducer: Reducer<V, R>): Table<K, R> {
    return new Table<K, R>(this.raw, this.keyCodec, reducedCodec(this.valueCodec, reducer));
  }
}

/** PERCPU_ARRAY: array slots, each with one value per possible CPU. */
export class PerCpuArrayTable<V = unknown> extends ArrayTable<V[]> {
  sum(i: number): number | bigint {
    return sumReducer(this.get(i) ?? []);
  }
  max(i: number): number | bigint {
    return maxReducer(this.get(i) ?? []);
  }
  average(i: number): number {
    return average(this.get(i) ?? []);
  }
  /** A view of the same map whose reads are reduced (BCC's `reducer=`). */
  reduced<R>(reducer: Reducer<V, R>): ArrayTable<R> {
    return new ArrayTable<R>(this.raw, this.keyCodec, reducedCodec(this.valueCodec, reducer));
  }
}
