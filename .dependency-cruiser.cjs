/**
 * The layer rule (`npm run lint:layers`, part of `npm run lint` and so of `npm test`). The
 * table below is the one in docs/architecture.md ("Layers"): a file in a layer may import only
 * its own layer and the layers it lists (type-only imports count too). Every directory under
 * src/ must be in the table, file import cycles are errors, and examples/ and simulation/ use
 * src/ only through the public entry point. Change the table here and in the docs together.
 */
const base = '^src/(errors|logger|errno|resources)\\.ts$';

/** name, the files it holds (a regex on the path), the layers it may import. */
const LAYERS = [
  { name: 'base', path: base, uses: [] },
  { name: 'uapi', path: '^src/uapi/', uses: ['base'] },
  { name: 'native', path: '^src/native\\.ts$', uses: ['base'] },
  { name: 'util', path: '^src/util/', uses: ['base', 'native'] },
  { name: 'netlink', path: '^src/netlink/', uses: ['base', 'native', 'util'] },
  { name: 'features', path: '^src/features/', uses: ['base', 'native', 'util', 'uapi', 'netlink'] },
  { name: 'compiler', path: '^src/compiler/', uses: ['base', 'native', 'util', 'uapi', 'features'] },
  { name: 'core', path: '^src/core/', uses: ['base', 'native', 'util', 'uapi', 'compiler'] },
  { name: 'codec', path: '^src/codec/', uses: ['base', 'compiler'] },
  { name: 'events', path: '^src/events/', uses: ['base', 'native', 'util', 'features', 'codec'] },
  { name: 'tracing', path: '^src/tracing/', uses: ['base', 'native', 'util', 'uapi', 'compiler', 'core'] },
  {
    name: 'maps',
    path: '^src/maps/',
    uses: ['base', 'native', 'util', 'uapi', 'compiler', 'core', 'codec', 'events'],
  },
  {
    name: 'bcc',
    path: '^src/bcc/',
    uses: [
      'base',
      'native',
      'util',
      'uapi',
      'features',
      'compiler',
      'core',
      'codec',
      'events',
      'maps',
      'tracing',
    ],
  },
  {
    name: 'tc, socket, xdp',
    path: '^src/(tc|socket|xdp)/',
    uses: ['base', 'native', 'util', 'uapi', 'netlink', 'features', 'compiler', 'core'],
  },
  {
    name: 'recipes',
    path: '^src/recipes/',
    uses: [
      'base',
      'native',
      'util',
      'uapi',
      'netlink',
      'features',
      'compiler',
      'core',
      'codec',
      'events',
      'maps',
      'tracing',
      'bcc',
      'tc, socket, xdp',
    ],
  },
  {
    name: 'deploy',
    path: '^src/deploy/',
    uses: [
      'base',
      'native',
      'util',
      'uapi',
      'netlink',
      'features',
      'compiler',
      'core',
      'codec',
      'events',
      'maps',
      'tracing',
      'bcc',
      'tc, socket, xdp',
      'recipes',
    ],
  },
  { name: 'topology', path: '^src/topology/', uses: ['base', 'util', 'netlink'] },
  {
    name: 'tools',
    path: '^src/tools/',
    uses: [
      'base',
      'native',
      'util',
      'uapi',
      'features',
      'compiler',
      'core',
      'codec',
      'events',
      'maps',
      'tracing',
      'bcc',
    ],
  },
  {
    name: 'entry point',
    path: '^src/index\\.ts$',
    uses: [
      'base',
      'native',
      'util',
      'uapi',
      'netlink',
      'features',
      'compiler',
      'core',
      'codec',
      'events',
      'tracing',
      'maps',
      'bcc',
      'tc, socket, xdp',
      'recipes',
      'deploy',
      'topology',
      'tools',
    ],
  },
  { name: 'cli', path: '^src/cli/', uses: ['*'] },
];

const pathOf = (name) => {
  const l = LAYERS.find((x) => x.name === name);
  if (!l) throw new Error(`.dependency-cruiser.cjs: unknown layer ${name}`);
  return l.path;
};

const layerRules = LAYERS.filter((l) => !l.uses.includes('*')).map((l) => ({
  name: `layer: ${l.name}`,
  severity: 'error',
  comment: `${l.name} may import only ${['itself', ...l.uses].join(', ')} (docs/architecture.md, Layers)`,
  from: { path: l.path },
  to: { path: '^src/', pathNot: [l.path, ...l.uses.map(pathOf)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer: not in the table',
      severity: 'error',
      comment:
        'every file under src/ belongs to a layer: add its directory to .dependency-cruiser.cjs and docs/architecture.md',
      from: { path: '^src/', pathNot: LAYERS.map((l) => l.path) },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'a file import cycle (type-only imports count): break it by moving the shared piece down or handing a function in',
      from: {},
      to: { circular: true },
    },
    {
      name: 'examples use the public entry point',
      severity: 'error',
      comment:
        'examples/ and simulation/ import src/ only through src/index.ts (the demo also prints the CLI feature table)',
      from: { path: '^(examples|simulation)/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/cli/doctor\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.d.ts', '.js', '.mjs'] },
  },
};
