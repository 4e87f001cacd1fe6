/**
 * Property-based and fuzz tests of tc's option parsers and encoders: rates, sizes, times and
 * handles as numbers or tc strings, qdisc specs, htb classes, actions and cls_bpf filter
 * options. Every input is parsed into a value (and encodes into a well-formed message) or is
 * refused with a typed error; a refused filter sends nothing to the kernel.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramType, programTypeName } from '../../src/uapi/program-type.js';
import type { Program } from '../../src/core/program.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { MessageBuilder, parseMessages } from '../../src/netlink/message.js';
import type { NetlinkSocket } from '../../src/netlink/socket.js';
import { checkActions } from '../../src/netlink/tc/action.js';
import { Check } from '../../src/netlink/tc/check.js';
import { newClass, resolveClass, type ClassSpec } from '../../src/netlink/tc/class.js';
import { newQdisc, resolveQdisc, type QdiscSpec } from '../../src/netlink/tc/qdisc.js';
import { findKind } from '../../src/netlink/tc/registry.js';
import {
  formatHandle,
  formatRate,
  parseHandle,
  parseRate,
  parseSize,
  parseTime,
} from '../../src/netlink/tc/units.js';
import { actionSpec, type TcAction } from '../../src/tc/actions.js';
import { TcFilterLink, type BpfFilterOptions } from '../../src/tc/filter.js';
import * as topoUnits from '../../src/topology/units.js';
import { fuzzParams, typedOrResult, typedOrResultAsync } from './helpers/fuzz.js';

const RATE_UNITS = [
  '',
  'bit',
  'kbit',
  'mbit',
  'gbit',
  'tbit',
  'kibit',
  'bps',
  'kbps',
  'mbps',
  'gibps',
  'Mbit',
];
const SIZE_UNITS = ['', 'b', 'k', 'kb', 'm', 'mb', 'g', 'gb', 'kbit', 'mbit'];
const TIME_UNITS = ['', 'us', 'usec', 'ms', 'msecs', 's', 'sec'];
const JUNK_UNITS = ['x', 'kbitz', 'µs', 'k b', 'e3', '%', ' '];

/** Numbers a caller might pass: ordinary, huge, negative, fractional, NaN, infinite. */
const wildNumber = fc.oneof(
  fc.integer({ min: -10, max: 1e6 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, NaN, Infinity, -Infinity),
);

/** A tc quantity string: a number, maybe a known unit, maybe junk around it. */
function quantityText(units: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(
        fc.oneof(
          fc.nat({ max: 100000 }).map(String),
          fc.double({ min: 0, max: 1e15, noNaN: true }).map(String),
        ),
        fc.constantFrom(...units, ...JUNK_UNITS),
        fc.constantFrom('', ' ', '  '),
      )
      .map(([n, u, sp]) => `${sp}${n}${sp}${u}`),
    fc.string({ maxLength: 16 }),
    fc.stringMatching(/^[0-9.eE+-]{0,12}[a-zA-Z]{0,6}$/),
  );
}

const rateInput = fc.oneof(wildNumber, quantityText(RATE_UNITS));
const sizeInput = fc.oneof(wildNumber, quantityText(SIZE_UNITS));
const timeInput = fc.oneof(wildNumber, quantityText(TIME_UNITS));
const handleInput = fc.oneof(
  wildNumber,
  fc.nat({ max: 0xffffffff }).map(formatHandle),
  fc.constantFrom('root', 'ingress', 'clsact', 'none', ':', '1:', ':1', 'ffff:', '10000:', '1:10:1', 'g:1'),
  fc.stringMatching(/^[0-9a-fA-F]{0,6}:?[0-9a-fA-F]{0,6}$/),
  fc.string({ maxLength: 10 }),
);
/** Sometimes a value of the wrong type altogether (YAML and plain JS callers can pass anything). */
const maybeWrong = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 9, arbitrary: a }, { weight: 1, arbitrary: fc.anything() });

/** Checks a built message parses back as one well-formed message. */
function wellFormed(m: MessageBuilder): void {
  const wire = m.build();
  const parsed = parseMessages(wire);
  expect(parsed).toHaveLength(1);
  expect(16 + (parsed[0]?.payload.length ?? 0)).toBe(wire.readUInt32LE(0));
}

describe('tc option parsers under random input', () => {
  it('rates, sizes and times: a finite value in range or an InvalidArgumentError', () => {
    fc.assert(
      fc.property(maybeWrong(rateInput), maybeWrong(sizeInput), maybeWrong(timeInput), (r, s, t) => {
        const rate = typedOrResult(() => parseRate(r as string));
        if (rate.ok) expect(Number.isFinite(rate.value) && rate.value > 0).toBe(true);
        else expect(rate.error).toBeInstanceOf(InvalidArgumentError);
        const size = typedOrResult(() => parseSize(s as string));
        if (size.ok) expect(Number.isFinite(size.value) && size.value > 0).toBe(true);
        else expect(size.error).toBeInstanceOf(InvalidArgumentError);
        const time = typedOrResult(() => parseTime(t as string));
        if (time.ok) expect(Number.isFinite(time.value) && time.value >= 0).toBe(true);
        else expect(time.error).toBeInstanceOf(InvalidArgumentError);
      }),
      fuzzParams(1000),
    );
  });

  it('a number with a known unit is that number times the unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100000 }),
        fc.constantFrom('kbit', 'mbit', 'bps', 'kbps'),
        (n, u) => {
          const scale = { kbit: 1e3, mbit: 1e6, bps: 8, kbps: 8e3 }[u] as number;
          expect(parseRate(`${n}${u}`)).toBe(Math.round(n * scale));
          expect(parseRate(`${n}${u.toUpperCase()}`)).toBe(Math.round(n * scale));
        },
      ),
      fuzzParams(200),
    );
  });

  it('handles: a 32-bit value or an InvalidArgumentError; formatHandle and parseHandle round-trip', () => {
    fc.assert(
      fc.property(maybeWrong(handleInput), fc.nat({ max: 0xffffffff }), (h, v) => {
        const r = typedOrResult(() => parseHandle(h as string));
        if (r.ok) expect(Number.isInteger(r.value) && r.value >= 0 && r.value <= 0xffffffff).toBe(true);
        expect(parseHandle(formatHandle(v))).toBe(v);
      }),
      fuzzParams(1000),
    );
  });

  it("topology's unit parsers never throw: a value or undefined", () => {
    fc.assert(
      fc.property(quantityText([...RATE_UNITS, ...SIZE_UNITS, ...TIME_UNITS, '%']), wildNumber, (text, n) => {
        for (const f of [topoUnits.parseRate, topoUnits.parseSize] as ((v: string | number) => unknown)[]) {
          f(text);
          f(n);
        }
        topoUnits.parseTime(text);
        const p = topoUnits.parsePercent(text);
        if (p !== undefined) expect(p >= 0 && p <= 1).toBe(true);
      }),
      fuzzParams(800),
    );
  });

  it('formatRate prints any positive rate', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e15, noNaN: true }), (r) => {
        expect(formatRate(r)).toMatch(/^[\d.]+(bit|Kbit|Mbit|Gbit)$/);
      }),
      fuzzParams(200),
    );
  });
});

const qdiscSpec: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ kind: fc.constantFrom('clsact', 'ingress') }),
  fc.record(
    {
      kind: fc.constant('htb'),
      handle: handleInput,
      parent: handleInput,
      defaultClass: handleInput,
      r2q: wildNumber,
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('tbf'),
      rate: rateInput,
      burst: sizeInput,
      limit: sizeInput,
      latency: timeInput,
      mtu: sizeInput,
      peakrate: rateInput,
      handle: handleInput,
      parent: handleInput,
    },
    { requiredKeys: ['kind', 'rate', 'burst'] },
  ),
  fc.record(
    {
      kind: fc.constant('sfq'),
      perturb: wildNumber,
      quantum: sizeInput,
      limit: wildNumber,
      handle: handleInput,
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('prio'),
      bands: wildNumber,
      priomap: fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), wildNumber), {
        minLength: 15,
        maxLength: 17,
      }),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('fq_codel'),
      limit: wildNumber,
      target: timeInput,
      interval: timeInput,
      flows: wildNumber,
      ecn: fc.boolean(),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    { kind: fc.constant('netem'), delay: timeInput, jitter: timeInput, loss: wildNumber, limit: wildNumber },
    { requiredKeys: ['kind'] },
  ),
  fc.record({ kind: fc.string({ maxLength: 8 }) }),
);

const htbClass: fc.Arbitrary<unknown> = fc.record(
  {
    classid: handleInput,
    parent: handleInput,
    rate: rateInput,
    ceil: rateInput,
    burst: sizeInput,
    cburst: sizeInput,
    prio: wildNumber,
    quantum: sizeInput,
  },
  { requiredKeys: ['classid', 'rate'] },
);

/** A stand-in for a loaded program: what the encoders read (type, name, fd, id). */
function fakeProgram(type: number, name = 'prog'): Program {
  return {
    type,
    typeName: programTypeName(type),
    name,
    fd: 1000,
    id: 4242,
  } as unknown as Program;
}

const action: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('mirred'),
      mode: fc.oneof(fc.constantFrom('redirect', 'mirror'), fc.string({ maxLength: 6 })),
      to: fc.stringMatching(/^[a-z0-9]{1,15}$/),
      direction: fc.oneof(fc.constantFrom('egress', 'ingress'), fc.string({ maxLength: 6 })),
    },
    { requiredKeys: ['kind', 'mode', 'to'] },
  ),
  fc.record(
    {
      kind: fc.constant('gact'),
      verdict: fc.oneof(fc.constantFrom('ok', 'drop', 'pipe'), fc.string({ maxLength: 6 })),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('police'),
      rate: rateInput,
      burst: sizeInput,
      mtu: sizeInput,
      peakrate: rateInput,
      conform: fc.constantFrom('ok', 'drop', 'pipe', 'nope'),
      exceed: fc.constantFrom('ok', 'drop', 'reclassify', 'nope'),
    },
    { requiredKeys: ['kind', 'rate', 'burst'] },
  ),
  fc.record({
    kind: fc.constant('bpf'),
    program: fc
      .constantFrom(ProgramType.SCHED_ACT, ProgramType.SCHED_CLS, ProgramType.XDP)
      .map((t) => fakeProgram(t)),
  }),
  fc.record({ kind: fc.string({ maxLength: 6 }) }),
);

describe('tc encoders under random specs', () => {
  // TcFilterLink.create writes the tc owner record before its first request: keep the fake
  // kernel's filters out of the machine's $TSBCC_RUN_DIR (tsbcc tc clean would read them).
  let runDir = '';
  const savedRunDir = process.env.TSBCC_RUN_DIR;
  beforeAll(() => {
    runDir = mkdtempSync(join(tmpdir(), 'tsbcc-fuzz-run-'));
    process.env.TSBCC_RUN_DIR = runDir;
  });
  afterAll(() => {
    if (savedRunDir === undefined) delete process.env.TSBCC_RUN_DIR;
    else process.env.TSBCC_RUN_DIR = savedRunDir;
    rmSync(runDir, { recursive: true, force: true });
  });
  it('qdisc specs: a well-formed message or a typed error', () => {
    fc.assert(
      fc.property(qdiscSpec, (spec) => {
        const q = typedOrResult(() => resolveQdisc(spec as QdiscSpec));
        if (q.ok) typedOrResult(() => wellFormed(newQdisc(3, q.value)));
      }),
      fuzzParams(1000),
    );
  });

  it('htb classes: a well-formed message or a typed error', () => {
    fc.assert(
      fc.property(htbClass, (spec) => {
        const c = typedOrResult(() => resolveClass({ ...(spec as object), kind: 'htb' } as ClassSpec));
        if (c.ok) {
          const info = findKind('class', 'htb')?.decode(c.value.options?.bytes ?? Buffer.alloc(0)) as {
            rate: number;
            ceil: number;
          };
          expect(info.ceil).toBeGreaterThanOrEqual(info.rate);
          typedOrResult(() => wellFormed(newClass(3, c.value)));
        }
      }),
      fuzzParams(1000),
    );
  });

  it('actions: a well-formed message or a typed error', () => {
    fc.assert(
      fc.property(action, (a) => {
        const enc = typedOrResult(() => {
          const c = new Check('', 'filter');
          const encode = checkActions([actionSpec(a as TcAction)], c);
          c.orThrow();
          return encode({ ifindex: () => 7 });
        });
        if (enc.ok) typedOrResult(() => wellFormed(new MessageBuilder(44, 0, enc.value?.bytes)));
      }),
      fuzzParams(800),
    );
  });

  it('cls_bpf filter options: refused with a typed error before anything is sent, or sent well-formed', async () => {
    const filterOptions = fc.record(
      {
        parent: fc.oneof(fc.constantFrom('ingress', 'egress'), handleInput),
        directAction: fc.boolean(),
        classid: handleInput,
        name: fc.oneof(fc.stringMatching(/^[\w.-]{1,20}$/), fc.string({ maxLength: 30 })),
        priority: wildNumber,
        handle: wildNumber,
        chain: wildNumber,
        protocol: fc.oneof(fc.constantFrom('all', 'ip', 'ipv6'), wildNumber),
        actions: fc.array(action, { maxLength: 2 }),
        replace: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        maybeWrong(filterOptions),
        fc.constantFrom(ProgramType.SCHED_CLS, ProgramType.XDP),
        async (opts, type) => {
          const sent: Buffer[] = [];
          const sock = {
            nsPath: '',
            // never on the JS thread: every request goes through request()/all() below
            requestNow: () => undefined,
            allNow: () => undefined,
            // the kernel refuses (as it would an unknown parent), so no Link is made
            request: async (m: MessageBuilder) => {
              sent.push(m.build());
              return [];
            },
            all: async (reqs: { message: MessageBuilder }[]) => {
              for (const r of reqs) sent.push(r.message.build());
              return reqs.map(() => []);
            },
          } as unknown as NetlinkSocket;
          const target = { netns: undefined, nsPath: '', interface: 'x0', ifindex: 3 };
          const r = await typedOrResultAsync(() =>
            TcFilterLink.create(
              sock,
              target,
              fakeProgram(type),
              (opts ?? {}) as BpfFilterOptions,
              async () => 7,
            ),
          );
          if (!r.ok && r.error instanceof InvalidArgumentError && sent.length === 0) return;
          // whatever was sent is one well-formed message each
          for (const w of sent) expect(parseMessages(w)).toHaveLength(1);
          expect(r.ok).toBe(false); // the fake kernel never echoes a filter
        },
      ),
      fuzzParams(600),
    );
  });
});
