#!/usr/bin/env node
// `npm run check:package`: checks the packaging that can be checked without
// publishing.
//
// - every target in package.json's `napi.targets` has an npm/<platform>
//   folder whose package.json has the right name, os, cpu, libc, main and
//   files, the root's version, and the fields `napi create-npm-dirs` copies
//   from the root (license, engines, repository, ...); the whole manifest is
//   also compared with a fresh `napi create-npm-dirs` run in a temp folder;
// - the root's optionalDependencies list exactly those packages, at the
//   root's version;
// - the generated loader (index.js) knows every target and was generated for
//   the root's version;
// - the release workflow builds exactly the configured targets;
// - `npm pack --dry-run` of the root holds only what users need (dist/,
//   index.js, index.d.ts, README.md, LICENSE, package.json), every file the
//   `main`/`types`/`exports` fields point at, and a dist/ that matches lib/;
// - for each platform whose `.node` is built here, the platform package packs
//   to exactly package.json, README.md and the binary.
//
// Prints the tarball size and the size of each `.node` found. Exits 1 on any
// problem. Needs a built dist/ (`npm run build:ts`); the `.node` is optional.
// Node built-ins only: runs on a fresh clone after `npm install`.
//
// `npm run check:package -- --fix` only sets the version of every
// npm/<platform> package and of the root's optionalDependencies to the root's
// version (the chores of a version bump, see README "Releasing"), and exits.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const problems = [];
const notes = [];
const fail = (message) => problems.push(message);
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const human = (bytes) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

// ---- targets ---------------------------------------------------------------

// Rust target triple -> the npm platform suffix and package.json fields napi
// uses (same mapping as @napi-rs/cli's parseTriple / create-npm-dirs).
const NODE_ARCH = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm', riscv64gc: 'riscv64', powerpc64le: 'ppc64', s390x: 's390x' };
const NODE_PLATFORM = { linux: 'linux', darwin: 'darwin', windows: 'win32', freebsd: 'freebsd', android: 'android' };
function parseTarget(triple) {
  const [cpu, , sys, abi = null] = triple.split('-');
  const arch = NODE_ARCH[cpu];
  const platform = NODE_PLATFORM[sys];
  if (!arch || !platform) throw new Error(`check-package does not know target ${triple}; extend parseTarget()`);
  const suffix = abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`;
  const libc = platform !== 'linux' ? undefined : abi?.startsWith('musl') ? ['musl'] : abi?.startsWith('gnu') ? ['glibc'] : undefined;
  return { triple, suffix, os: [platform], cpu: [arch], libc };
}

if (process.argv.includes('--fix')) {
  const rootPath = join(root, 'package.json');
  const manifest = readJson(rootPath);
  const write = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  for (const triple of manifest.napi?.targets ?? []) {
    const path = join(root, 'npm', parseTarget(triple).suffix, 'package.json');
    if (!existsSync(path)) continue;
    const platformManifest = readJson(path);
    if (platformManifest.version !== manifest.version) {
      write(path, { ...platformManifest, version: manifest.version });
      console.log(`fixed: ${path.slice(root.length)} version ${platformManifest.version} -> ${manifest.version}`);
    }
  }
  const optional = manifest.optionalDependencies ?? {};
  const stale = Object.keys(optional).filter((name) => name.startsWith(`${manifest.name}-`) && optional[name] !== manifest.version);
  if (stale.length) {
    for (const name of stale) optional[name] = manifest.version;
    write(rootPath, manifest);
    console.log(`fixed: package.json optionalDependencies ${stale.join(', ')} -> ${manifest.version}`);
  }
  console.log(`versions agree on ${manifest.version}; now \`npm install\` (lockfile), \`npm test\` (regenerates index.js), \`npm run check:package\``);
  process.exit(0);
}

const pkg = readJson(join(root, 'package.json'));
const version = pkg.version;
const binaryName = pkg.napi?.binaryName ?? pkg.name;
const triples = pkg.napi?.targets ?? [];
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) fail(`root version ${version} is not a semver version`);
if (triples.length === 0) fail('package.json has no napi.targets');
const targets = triples.map(parseTarget);

// ---- per-platform packages -------------------------------------------------

// Fields create-npm-dirs copies from the root manifest.
const COPIED_FIELDS = ['description', 'keywords', 'author', 'authors', 'homepage', 'license', 'engines', 'repository', 'bugs'];
const npmDir = join(root, 'npm');
for (const target of targets) {
  const dir = join(npmDir, target.suffix);
  const where = `npm/${target.suffix}/package.json`;
  if (!existsSync(join(dir, 'package.json'))) {
    fail(`${target.triple}: ${where} is missing (run \`npx napi create-npm-dirs\`)`);
    continue;
  }
  const p = readJson(join(dir, 'package.json'));
  const file = `${binaryName}.${target.suffix}.node`;
  const expect = (field, actual, expected) => {
    if (!isDeepStrictEqual(actual, expected)) fail(`${where}: ${field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  };
  expect('name', p.name, `${pkg.name}-${target.suffix}`);
  expect('version', p.version, version);
  expect('os', p.os, target.os);
  expect('cpu', p.cpu, target.cpu);
  expect('libc', p.libc, target.libc);
  expect('main', p.main, file);
  expect('files', p.files, [file]);
  for (const field of COPIED_FIELDS) expect(field, p[field], pkg[field]);
  if (p.dependencies || p.optionalDependencies || p.scripts) fail(`${where}: a binary package must have no dependencies or scripts`);
  if (!existsSync(join(dir, 'README.md'))) fail(`npm/${target.suffix}/README.md is missing`);
  for (const entry of readdirSync(dir)) {
    if (entry.endsWith('.node')) fail(`npm/${target.suffix}/${entry}: built binaries must not be left in npm/ (they are copied in by \`napi artifacts\` in the release workflow)`);
  }
}
if (existsSync(npmDir)) {
  const known = new Set(targets.map((t) => t.suffix));
  for (const entry of readdirSync(npmDir)) {
    if (!known.has(entry)) fail(`npm/${entry} is not a configured target (remove it or add its triple to napi.targets)`);
  }
}

// The same manifests as napi itself would generate them.
const napiCli = (() => {
  try {
    const require = createRequire(join(root, 'package.json'));
    const cliPkg = require.resolve('@napi-rs/cli/package.json');
    return join(cliPkg, '..', require(cliPkg).bin.napi);
  } catch {
    return null;
  }
})();
if (napiCli) {
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-check-'));
  try {
    writeFileSync(join(scratch, 'package.json'), JSON.stringify(pkg, null, 2));
    execFileSync(process.execPath, [napiCli, 'create-npm-dirs', '--cwd', scratch], { stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    for (const target of targets) {
      const generated = join(scratch, 'npm', target.suffix, 'package.json');
      const committed = join(npmDir, target.suffix, 'package.json');
      if (!existsSync(generated) || !existsSync(committed)) continue;
      if (!isDeepStrictEqual(readJson(generated), readJson(committed))) {
        fail(`npm/${target.suffix}/package.json differs from what \`napi create-npm-dirs\` generates from package.json (re-run it)`);
      }
    }
  } catch (error) {
    fail(`napi create-npm-dirs failed: ${error.stderr?.toString() || error.message}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  notes.push('@napi-rs/cli is not installed: skipped the comparison with `napi create-npm-dirs`');
}

// ---- root manifest -----------------------------------------------------------

const expectedOptional = Object.fromEntries(targets.map((t) => [`${pkg.name}-${t.suffix}`, version]));
if (!isDeepStrictEqual(pkg.optionalDependencies ?? {}, expectedOptional)) {
  const have = pkg.optionalDependencies ?? {};
  const missing = Object.keys(expectedOptional).filter((name) => have[name] !== version);
  const extra = Object.keys(have).filter((name) => !(name in expectedOptional));
  fail(`optionalDependencies must list exactly the platform packages at ${version}` +
    (missing.length ? `; missing or wrong version: ${missing.join(', ')}` : '') +
    (extra.length ? `; not a target: ${extra.join(', ')}` : ''));
}
for (const required of ['dist', 'index.js', 'index.d.ts']) {
  if (!pkg.files?.includes(required)) fail(`package.json files must include ${required}`);
}
if (!pkg.engines?.node) fail('package.json has no engines.node');
if (!existsSync(join(root, 'LICENSE'))) notes.push('no LICENSE file at the root: the MIT license text will not be in the tarball');

// ---- generated loader ----------------------------------------------------------

const loader = readFileSync(join(root, 'index.js'), 'utf8');
for (const target of targets) {
  if (!loader.includes(`require('./${binaryName}.${target.suffix}.node')`) || !loader.includes(`require('${pkg.name}-${target.suffix}')`)) {
    fail(`index.js does not load ${target.suffix} (regenerate it with \`npm run build:native\`)`);
  }
}
const loaderVersions = new Set([...loader.matchAll(/bindingPackageVersion !== '([^']+)'/g)].map((m) => m[1]));
if (loaderVersions.size !== 1 || !loaderVersions.has(version)) {
  fail(`index.js was generated for version ${[...loaderVersions].join(', ') || '?'}, package.json says ${version} (regenerate it with \`npm run build:native\`)`);
}

// ---- release workflow ------------------------------------------------------------

const workflowPath = join(root, '.github', 'workflows', 'release.yml');
if (existsSync(workflowPath)) {
  const workflow = readFileSync(workflowPath, 'utf8');
  const built = new Set([...workflow.matchAll(/^\s*-?\s*target:\s*([\w.-]+)\s*$/gm)].map((m) => m[1]));
  const wanted = new Set(triples);
  const missing = triples.filter((t) => !built.has(t));
  const extra = [...built].filter((t) => !wanted.has(t));
  if (missing.length) fail(`.github/workflows/release.yml does not build: ${missing.join(', ')}`);
  if (extra.length) fail(`.github/workflows/release.yml builds targets not in napi.targets: ${extra.join(', ')}`);
} else {
  fail('.github/workflows/release.yml is missing');
}

// ---- root tarball -------------------------------------------------------------------

function packDryRun(cwd) {
  const out = execFileSync(npmCmd, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
  });
  return JSON.parse(out)[0];
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  fail('dist/ is not built: run `npm run build:ts` (or `npm run build`) first');
} else {
  const packed = packDryRun(root);
  const files = packed.files.map((f) => f.path);
  const fileSet = new Set(files);
  // Everything a user needs, and nothing else.
  const allowed = (path) =>
    ['package.json', 'README.md', 'LICENSE', 'index.js', 'index.d.ts'].includes(path) ||
    /^dist\/(?:[\w-]+\/)*[\w.-]+\.(js|mjs|d\.ts|d\.mts|d\.cts)$/.test(path);
  const reasons = [
    [/^target\//, 'Rust build output'], [/^src\//, 'Rust sources'], [/^lib\//, 'TypeScript sources'],
    [/^__test__\//, 'tests'], [/^bench\//, 'benchmarks'], [/^examples\//, 'examples'], [/^npm\//, 'platform packages'],
    [/^scripts\//, 'build scripts'], [/\.node$/, 'a native binary (those ship in the platform packages)'],
    [/^node_modules\//, 'dependencies'], [/^Cargo\.|^build\.rs$/, 'Rust manifests'],
  ];
  for (const path of files) {
    if (allowed(path)) continue;
    const reason = reasons.find(([re]) => re.test(path))?.[1] ?? 'not needed by users';
    fail(`tarball contains ${path} (${reason})`);
  }
  // Every entry point the manifest names is in the tarball.
  const referenced = new Set();
  const collect = (value) => {
    if (typeof value === 'string') referenced.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(pkg.main);
  collect(pkg.types);
  collect(pkg.exports);
  for (const path of referenced) {
    if (path !== 'package.json' && !fileSet.has(path)) fail(`package.json points at ${path}, which is not in the tarball`);
  }
  for (const path of ['README.md', 'index.js', 'index.d.ts', 'dist/index.mjs', 'dist/index.d.mts']) {
    if (!fileSet.has(path)) fail(`tarball is missing ${path}`);
  }
  // dist/ matches lib/ (subfolders such as lib/adapters/ included): nothing stale, nothing missing.
  const filesUnder = (dir, prefix = '') =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
    );
  const sources = filesUnder(join(root, 'lib')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3));
  for (const name of sources) {
    for (const ext of ['.js', '.d.ts', '.d.mts']) {
      if (!fileSet.has(`dist/${name}${ext}`)) fail(`tarball is missing dist/${name}${ext} (compiled from lib/${name}.ts; run \`npm run build:ts\`)`);
    }
  }
  // The SDK augmentations in types/ ship as one .d.mts and one .d.cts each (scripts/build-esm.mjs).
  const augmentations = readdirSync(join(root, 'types')).filter((f) => f.endsWith('.d.ts')).map((f) => f.slice(0, -'.d.ts'.length));
  for (const name of augmentations) {
    for (const ext of ['.d.mts', '.d.cts']) {
      if (!fileSet.has(`dist/${name}${ext}`)) fail(`tarball is missing dist/${name}${ext} (from types/${name}.d.ts; run \`npm run build:ts\`)`);
    }
  }
  const sourceSet = new Set([...sources, ...augmentations]);
  for (const path of files.filter((f) => f.startsWith('dist/'))) {
    const name = path.slice('dist/'.length).replace(/\.(js|mjs|d\.ts|d\.mts|d\.cts)$/, '');
    if (!sourceSet.has(name)) fail(`tarball contains ${path}, which no lib/**/*.ts or types/*.d.ts produces (stale build? run \`npm run build:ts\`)`);
  }
  console.log(`root tarball ${packed.filename}: ${human(packed.size)} packed, ${human(packed.unpackedSize)} unpacked, ${packed.entryCount} files`);
}

// ---- binaries and platform tarballs -----------------------------------------------------

let foundBinary = false;
for (const target of targets) {
  const file = `${binaryName}.${target.suffix}.node`;
  const binary = join(root, file);
  if (!existsSync(binary)) continue;
  foundBinary = true;
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-check-'));
  try {
    const staged = join(scratch, target.suffix);
    mkdirSync(staged);
    for (const entry of ['package.json', 'README.md']) cpSync(join(npmDir, target.suffix, entry), join(staged, entry));
    cpSync(binary, join(staged, file));
    const packed = packDryRun(staged);
    const files = packed.files.map((f) => f.path).sort();
    const expected = ['README.md', file, 'package.json'].sort();
    if (!isDeepStrictEqual(files, expected)) fail(`${packed.name} would pack ${JSON.stringify(files)}, expected ${JSON.stringify(expected)}`);
    console.log(`${file}: ${human(statSync(binary).size)}; ${packed.filename}: ${human(packed.size)} packed`);
  } catch (error) {
    fail(`packing ${target.suffix}: ${error.message}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
if (!foundBinary) notes.push(`no ${binaryName}.<platform>.node at the root: run \`npm run build:native\` to check a platform tarball and see the binary size`);

for (const note of notes) console.log(`note: ${note}`);
if (problems.length) {
  console.error(`\ncheck-package: ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`check-package: OK (${targets.length} targets, version ${version})`);
