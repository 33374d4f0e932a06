#!/usr/bin/env node
// `npm run docs`: the API reference, generated from the source comments into
// target/docs/ (never committed), so that the comments are the one place an
// option is documented.
//   - target/docs/node: TypeDoc over every entry point package.json `exports`
//     names (`./dist/X.d.ts` is documented from `lib/X.ts`; `./native` from the
//     addon's typings, index.d.ts). Each is named by its import path.
//   - target/docs/python: pdoc over the package's public modules (python/src/
//     mcp_auth_rs, every name not starting with `_`). It runs in the FastMCP
//     environment, target/py-venv-fastmcp (scripts/python-test.sh builds it the
//     same way; refreshed here from python/requirements-fastmcp.txt and
//     requirements-docs.txt): the only one that can import every public module
//     (mcp_auth_rs.fastmcp needs FastMCP 4, which needs the SDK 2.x). The native
//     module must be built into python/src first (`npm run build:python`).
// Any warning fails the build: TypeDoc's, every line pdoc prints (there is no
// allowlist), and a public module pdoc leaves without a page.
// Output: the warnings, then one summary line,
//   docs: N TypeScript entry points, M Python modules, W warnings

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, ReflectionKind } from 'typedoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'target', 'docs');
const packageDir = join(root, 'python', 'src', 'mcp_auth_rs');
const venv = join(root, 'target', 'py-venv-fastmcp');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Each `exports` subpath with typings, as [import path, source file]. */
function entryPoints() {
  const entries = [];
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target !== 'object') continue;
    const types = target.require?.types ?? target.types;
    if (!types) continue;
    const dist = /^\.\/dist\/(.+)\.d\.ts$/.exec(types);
    const source = dist ? `lib/${dist[1]}.ts` : types.replace(/^\.\//, '');
    if (!existsSync(join(root, source))) throw new Error(`${subpath}: no source ${source} for ${types}`);
    entries.push([subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, source]);
  }
  return entries;
}

/** TypeDoc; returns its warning and error count. */
async function typescriptReference(entries) {
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map(([, source]) => source),
    tsconfig: join(root, 'tsconfig.json'),
    out: join(out, 'node'),
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    // Used by AuthDecision, private to lib/: its `@inline` cannot take effect
    // through an `import type` alias (TypeDoc 0.28).
    intentionallyNotExported: ['lib/step-up.ts:Rechallenge'],
    validation: { notExported: true, invalidLink: true, rewrittenLink: true, unusedMergeModuleWith: true },
    // Source links need a git remote to link to; a clone without one (a local
    // copy, some CI checkouts) gets pages without them rather than a warning.
    ...(run('git', ['remote']).stdout.trim() === '' ? { disableSources: true } : {}),
  });
  const project = await app.convert();
  if (!project) return 1;
  // lib/ names its modules with `@module`; the generated addon typings cannot.
  for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
    const entry = entries.find(([, source]) => module.sources?.[0]?.fileName.endsWith(source));
    if (entry && module.name !== entry[0]) module.name = entry[0];
  }
  app.validate(project);
  if (!app.logger.hasErrors() && !app.logger.hasWarnings()) await app.generateDocs(project, join(out, 'node'));
  return app.logger.errorCount + app.logger.warningCount;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

/** The public modules of the Python package, as pdoc's arguments. */
function pythonModules() {
  const names = readdirSync(packageDir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('_'))
    .filter((e) => (e.isFile() && e.name.endsWith('.py')) || (e.isDirectory() && existsSync(join(packageDir, e.name, '__init__.py'))))
    .map((e) => `mcp_auth_rs.${e.name.replace(/\.py$/, '')}`)
    .sort();
  return ['mcp_auth_rs', ...names];
}

/** pdoc; returns the number of lines it printed (each a warning) and of modules without a page. */
function pythonReference(modules) {
  if (!readdirSync(packageDir).some((name) => name.startsWith('_native.') && name.endsWith('.so'))) {
    console.error('docs: the native module is not built into python/src; run `npm run build:python` first');
    return 1;
  }
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  const pip = run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check',
    '-r', 'python/requirements-fastmcp.txt', '-r', 'python/requirements-docs.txt'], { stdio: 'inherit' });
  if (pip.status !== 0) return 1;
  const site = run(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).stdout.trim();
  writeFileSync(join(site, 'mcp_auth_rs_dev.pth'), `${join(root, 'python', 'src')}\n`);

  rmSync(join(out, 'python'), { recursive: true, force: true });
  // Every warning, each time (the default prints a location once).
  // `!` takes a regular expression: no private submodule (`_body`) gets a page.
  const pdoc = run(python, ['-W', 'always', '-m', 'pdoc', '-o', join(out, 'python'), ...modules, '!.*\\._']);
  // pdoc prints nothing but warnings: every line it prints counts.
  const printed = `${pdoc.stdout}${pdoc.stderr}`.split('\n').filter((line) => line.trim() !== '');
  for (const line of printed) console.error(`pdoc: ${line}`);
  // A module pdoc left out (a failed import, a wrong pattern) is a failure too.
  const missing = modules.filter((name) => !existsSync(join(out, 'python', `${name.replaceAll('.', '/')}.html`)));
  for (const name of missing) console.error(`pdoc: no page for ${name}`);
  return printed.length + missing.length + (pdoc.status === 0 ? 0 : 1);
}

const entries = entryPoints();
const modules = pythonModules();
const warnings = (await typescriptReference(entries)) + pythonReference(modules);
console.log(`docs: ${entries.length} TypeScript entry points, ${modules.length} Python modules, ${warnings} warnings`);
process.exitCode = warnings === 0 ? 0 : 1;
