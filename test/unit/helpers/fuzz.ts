/**
 * Shared pieces of the property-based and fuzz tests (fast-check). The contract they check:
 * every input gives a result or a typed error (a TsbccError), never another exception, a hang
 * or a crash of the process.
 *
 * TSBCC_FUZZ_SCALE multiplies every test's number of runs (e.g. 20 for a long hunt),
 * TSBCC_FUZZ_SEED replays a failure (fast-check prints the seed and path of every
 * counterexample).
 */
import fc from 'fast-check';
import { TsbccError } from '../../../src/errors.js';

/** fast-check parameters: `runs` runs, times TSBCC_FUZZ_SCALE; the seed from TSBCC_FUZZ_SEED. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  const scale = Number(process.env.TSBCC_FUZZ_SCALE);
  const seed = process.env.TSBCC_FUZZ_SEED;
  return {
    numRuns: Math.max(1, Math.round(runs * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed ? { seed: Number(seed) } : {}),
  };
}

/** What a call gave: its value or the TsbccError it threw. Any other throw fails the property. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: TsbccError };

/**
 * Runs fn and returns its value or its typed error. Throws (failing the property) when fn
 * throws anything but a TsbccError, or runs longer than `maxMs` (a near-hang: a synchronous
 * function cannot be interrupted, so this catches loops that end but take too long).
 */
export function typedOrResult<T>(fn: () => T, maxMs = 2_000): Outcome<T> {
  const started = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof TsbccError)) {
      throw new Error(
        `untyped ${(e as Error)?.constructor?.name ?? typeof e}: ${String((e as Error)?.message ?? e)}`,
        {
          cause: e,
        },
      );
    }
    out = { ok: false, error: e };
  }
  const took = performance.now() - started;
  if (took > maxMs) throw new Error(`took ${took.toFixed(0)} ms (limit ${maxMs} ms)`);
  return out;
}

/** The async variant of {@link typedOrResult}; a promise not settled within maxMs fails. */
export async function typedOrResultAsync<T>(fn: () => Promise<T>, maxMs = 10_000): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${maxMs} ms (a hang)`)), maxMs);
  });
  try {
    return { ok: true, value: await Promise.race([fn(), hang]) };
  } catch (e) {
    if (e instanceof TsbccError) return { ok: false, error: e };
    throw new Error(
      `untyped ${(e as Error)?.constructor?.name ?? typeof e}: ${String((e as Error)?.message ?? e)}`,
      {
        cause: e,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Random bytes as a Buffer. */
export const bytes = (maxLength = 256): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** A buffer with some bytes overwritten at random positions. */
export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  return fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((edits) => {
      const b = Buffer.from(base);
      if (b.length === 0) return b;
      for (const [at, v] of edits) b[at % b.length] = v;
      return b;
    });
}

/** A prefix of the buffer, cut at a random length. */
export function truncated(base: Buffer): fc.Arbitrary<Buffer> {
  return fc.integer({ min: 0, max: Math.max(0, base.length - 1) }).map((n) => base.subarray(0, n));
}
