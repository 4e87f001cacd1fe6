import { describe, expect, it } from 'vitest';
import type { HostProcess } from '../../src/topology/process.js';
import type { Step } from '../../src/topology/realise.js';
import { teardownPlan, type TeardownStep } from '../../src/topology/teardown.js';

const undo = async (): Promise<void> => undefined;
const first = { close: (): undefined => undefined };
const second = { close: (): undefined => undefined };
const handleName = new Map<object, string>([
  [first, 'first'],
  [second, 'second'],
]);
const describeStep = (s: TeardownStep): string => {
  switch (s.kind) {
    case 'stop-processes':
      return `${s.kind} ${s.processes.length}`;
    case 'detach-program':
      return `${s.kind} ${handleName.get(s.handle) ?? '?'}`;
    case 'undo':
      return `${s.kind} ${s.step.kind} ${s.step.name}`;
    case 'delete-namespaces':
      return `${s.kind} ${s.steps.map((x) => `${x.kind} ${x.name}`).join(', ')}`;
    default:
      return s.kind;
  }
};

describe('testbed teardown plan', () => {
  it('undoes in reverse: processes, programs, steps outside the run, sockets, namespaces, state', () => {
    const journal: Step[] = [
      { kind: 'namespace', ns: 'h1', name: 'p-h1' },
      { kind: 'namespace', ns: '@fabric', name: 'p-fabric' },
      { kind: 'bridge', ns: '@root', name: 'x1234br0', undo },
      { kind: 'veth', ns: '@fabric', name: 'h1-eth0', undo }, // inside a run namespace: goes with it
      { kind: 'veth', ns: '@root', name: 'x1234p0a', undo },
      { kind: 'configure', ns: 'h1', name: 'h1' },
    ];
    const plan = teardownPlan({
      processes: [{} as HostProcess, {} as HostProcess],
      programs: [{ handle: first }, { handle: second }],
      journal,
      namespaces: new Map([
        ['h1', {}],
        ['@fabric', {}],
      ]),
    });
    expect(plan.map(describeStep)).toEqual([
      'mark-destroying',
      'stop-processes 2',
      'detach-program second',
      'detach-program first',
      'undo veth x1234p0a',
      'undo bridge x1234br0',
      'close-handles',
      'delete-namespaces namespace p-fabric, namespace p-h1',
      'remove-state',
    ]);
  });

  it('undoes a step whose namespace the run never got (a failed up) instead of relying on it', () => {
    const plan = teardownPlan({
      processes: [],
      programs: [],
      journal: [{ kind: 'veth', ns: 'h2', name: 'eth0', undo }],
      namespaces: new Map(),
    });
    expect(plan.map(describeStep)).toContain('undo veth eth0');
  });
});
