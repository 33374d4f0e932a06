// Builds what `npm run demo` needs, and only what is missing, so that a fresh
// clone works with `npm install && npm run demo`:
//   - the native addon, when the loader (index.js) cannot load one for this
//     platform (no local build and no prebuilt package): `npm run build`,
//     which also compiles the TypeScript (needs Rust);
//   - otherwise dist/, when it is missing or older than a file in lib/ or
//     tsconfig.json: `npm run build:ts` (seconds).
// After `npm test` (which builds first) both are current and nothing runs,
// so CI does not build twice. Edits under src/ are not detected: rebuild the
// addon yourself with `npm run build:native`.
//
// ENSURE_BUILT_DRY_RUN=1 prints the decision without building.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => new URL(`../${path}`, import.meta.url);
const dryRun = Boolean(process.env.ENSURE_BUILT_DRY_RUN);

function addonLoadError() {
  try {
    createRequire(import.meta.url)('../index.js');
    return undefined;
  } catch (error) {
    return error;
  }
}

// Why dist/ needs a TypeScript build, or undefined when it is current.
function distOutdated() {
  const entries = ['dist/index.js', 'dist/index.mjs', 'dist/index.d.ts'];
  const missing = entries.find((entry) => !existsSync(at(entry)));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...entries.map((entry) => statSync(at(entry)).mtimeMs));
  const under = (dir) =>
    readdirSync(at(dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? under(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
    );
  const sources = ['tsconfig.json', ...under('lib')];
  const newer = sources.find((source) => statSync(at(source)).mtimeMs > built);
  return newer ? `${newer} is newer than dist/` : undefined;
}

function run(script, reason) {
  console.error(`ensure-built: ${reason}; running npm run ${script}${dryRun ? ' (dry run: skipped)' : ''}`);
  if (dryRun) return;
  // Under npm, npm_execpath is npm's own CLI script: this works on every OS without a shell.
  const npmCli = process.env.npm_execpath;
  const result = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', script], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`ensure-built: npm run ${script} failed${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(result.status ?? 1);
  }
}

const loadError = addonLoadError();
if (loadError) {
  run('build', `no native addon loads for this platform (${loadError.message.split('\n')[0]})`);
} else {
  const outdated = distOutdated();
  if (outdated) run('build:ts', outdated);
  else if (dryRun) console.error('ensure-built: the addon loads and dist/ is current; nothing to build');
}
