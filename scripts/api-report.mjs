// The API report: every name src/index.ts exports, with its kind and type (public members of
// classes and interfaces one per line), written to api/tsbcc.api.md. `--check` (npm run
// api:check, part of npm run lint and so of npm test) fails when the entry point no longer
// matches the checked-in report, printing the difference; `npm run api:update` rewrites it.
// Built on the TypeScript compiler API (the project's own compiler), so it needs no build.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/index.ts');
const reportPath = join(root, 'api/tsbcc.api.md');
const check = process.argv.includes('--check');

const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const program = ts.createProgram([entry], { ...parsed.options, noEmit: true, incremental: false });
const checker = program.getTypeChecker();
const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType;
// no absolute paths, and well-known symbols by name rather than by their per-run ids
const clean = (text) => text.replace(/import\("[^"]*"\)\./g, '').replace(/__@(\w+)@\d+/g, '[Symbol.$1]');
const typeText = (t, at) => clean(checker.typeToString(t, at, flags));
const sigText = (sig, at) => clean(checker.signatureToString(sig, at, flags));

const isInternal = (sym) => sym.getJsDocTags(checker).some((t) => t.name === 'internal');
const isHidden = (decl) => {
  const mods = ts.canHaveModifiers(decl) ? (ts.getModifiers(decl) ?? []) : [];
  if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword))
    return true;
  return decl.name && ts.isPrivateIdentifier(decl.name);
};

function members(type, at, prefix) {
  const out = [];
  for (const m of checker.getPropertiesOfType(type)) {
    const decl = m.valueDeclaration ?? m.declarations?.[0];
    if (!decl || m.name === 'prototype' || isHidden(decl) || isInternal(m)) continue;
    // what Error, Node or the standard library declare is theirs, not part of this API
    const file = decl.getSourceFile();
    if (file.fileName.includes('/node_modules/') || program.isSourceFileDefaultLibrary(file)) continue;
    const optional = m.flags & ts.SymbolFlags.Optional ? '?' : '';
    const readonly =
      ts.canHaveModifiers(decl) &&
      (ts.getModifiers(decl) ?? []).some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword)
        ? 'readonly '
        : '';
    const mt = checker.getTypeOfSymbolAtLocation(m, at);
    if (m.flags & ts.SymbolFlags.Method) {
      for (const sig of mt.getCallSignatures())
        out.push(`  ${prefix}${clean(m.name)}${optional}${sigText(sig, at)}`);
    } else if (m.flags & ts.SymbolFlags.GetAccessor) {
      out.push(`  ${prefix}get ${clean(m.name)}: ${typeText(mt, at)}`);
    } else {
      out.push(`  ${prefix}${readonly}${clean(m.name)}${optional}: ${typeText(mt, at)}`);
    }
  }
  return out.sort();
}

function describe(name, sym) {
  const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  const decl = target.declarations?.[0];
  if (!decl) return [`unknown ${name}`];
  const lines = [];
  const f = target.flags;
  if (f & ts.SymbolFlags.Class) {
    const inst = checker.getDeclaredTypeOfSymbol(target);
    const bases = inst.getBaseTypes?.() ?? [];
    lines.push(
      `class ${name}${bases.length ? ` extends ${bases.map((b) => typeText(b, decl)).join(', ')}` : ''}`,
    );
    const ctorType = checker.getTypeOfSymbolAtLocation(target, decl);
    for (const sig of ctorType.getConstructSignatures()) {
      const d = sig.getDeclaration();
      if (d && (isHidden(d) || ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal'))) continue;
      lines.push(`  constructor${sigText(sig, decl).replace(/: [^:]*$/, '')}`);
    }
    lines.push(...members(ctorType, decl, 'static '));
    lines.push(...members(inst, decl, ''));
  } else if (f & ts.SymbolFlags.Interface) {
    lines.push(`interface ${name}`, ...members(checker.getDeclaredTypeOfSymbol(target), decl, ''));
  } else if (f & ts.SymbolFlags.TypeAlias) {
    const t = checker.getDeclaredTypeOfSymbol(target);
    lines.push(
      `type ${name} = ${clean(checker.typeToString(t, decl, flags | ts.TypeFormatFlags.InTypeAlias))}`,
    );
  } else if (f & ts.SymbolFlags.Function) {
    for (const sig of checker.getTypeOfSymbolAtLocation(target, decl).getCallSignatures())
      lines.push(`function ${name}${sigText(sig, decl)}`);
  } else if (f & ts.SymbolFlags.Variable) {
    lines.push(`const ${name}: ${typeText(checker.getTypeOfSymbolAtLocation(target, decl), decl)}`);
  } else {
    lines.push(`${ts.SymbolFlags[f] ?? 'symbol'} ${name}`);
  }
  return lines;
}

const moduleSym = checker.getSymbolAtLocation(program.getSourceFile(entry));
const exported = checker
  .getExportsOfModule(moduleSym)
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const body = exported.map((s) => describe(s.name, s).join('\n')).join('\n\n');
const report = `# tsbcc public API (${exported.length} names)

Generated from src/index.ts by \`npm run api:update\` (scripts/api-report.mjs); \`npm run lint\`
fails when it differs. Review changes to this file like code: every line is a promise to users.

\`\`\`ts
${body}
\`\`\`
`;

if (!check) {
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, report);
  console.log(`api report: ${exported.length} names written to api/tsbcc.api.md`);
} else {
  let old = '';
  try {
    old = readFileSync(reportPath, 'utf8');
  } catch {
    // no report yet
  }
  if (old === report) {
    console.log(`api report: ${exported.length} names, unchanged`);
  } else {
    const a = new Set(old.split('\n'));
    const b = new Set(report.split('\n'));
    const gone = old.split('\n').filter((l) => !b.has(l));
    const added = report.split('\n').filter((l) => !a.has(l));
    console.error('The public API (src/index.ts) differs from api/tsbcc.api.md:');
    for (const l of gone.slice(0, 40)) console.error(`- ${l}`);
    for (const l of added.slice(0, 40)) console.error(`+ ${l}`);
    if (gone.length + added.length > 80) console.error(`(${gone.length} lines gone, ${added.length} added)`);
    console.error(
      'If the change is deliberate, run `npm run api:update` and commit api/tsbcc.api.md; otherwise fix the export.',
    );
    process.exit(1);
  }
}
