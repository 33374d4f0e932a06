#!/usr/bin/env node
// Checks the code samples of README.md and docs/*.md against the built
// package, so that a sample cannot rot (`npm run test:samples`).
//
// The marker convention. A fenced code block is a sample when the line before
// its opening fence (blank lines and other HTML comments may sit between) is
//
//     <!-- sample: NAME -->        checked
//     <!-- sample: NAME run -->    checked, then run
//
// NAME is lowercase letters, digits and `-`, unique within its document. The
// fence's language says how the block is checked:
//   - `ts`: type-checked by `tsc --noEmit`, strict, as an ES module, against
//     the built package (`npm run build`): `mcp-auth-rs` resolves to this
//     repository through target/samples/node_modules/mcp-auth-rs, a symlink
//     to the repository root, so its `exports` and `dist/` typings are what a
//     user gets. Other packages resolve from the repository's node_modules.
//   - `js`, `mjs`: syntax-checked (`node --check`) and type-checked by `tsc`
//     with `checkJs` (not strict: plain JavaScript has no non-null
//     assertions), which catches misspelled options and wrong shapes; run
//     with `node` only when marked `run`.
//   - `python`, `py`: compiled (`python -m py_compile`) and type-checked by
//     `mypy --strict` (python/pyproject.toml) in the Python virtualenv,
//     target/py-venv (`npm run build:python`), as written; then imported
//     (run instead, as a script, when marked `run`), each in a fresh process
//     with a 60 s limit, from a second copy under target/samples/import/ in
//     which each string literal given as the first argument of
//     `fetch_server_config(`, `fetch_server_config_async(` or
//     `fetch_server_config_by_well_known_url(` is replaced, wherever that
//     exact quoted string occurs in the sample, by the same URL with its
//     origin swapped for `http://127.0.0.1:PORT` of a loopback
//     metadata + JWKS server started for that issuer (one per distinct
//     issuer, serving its path), so `"https://auth.example.com/oidc"` becomes
//     `"http://127.0.0.1:PORT/oidc"`. The environment gives ISSUER (one more
//     such server) and the other names samples read. How, and the servers:
//     scripts/samples/python-import.mjs. A failed import fails the sample at
//     the document line of the deepest traceback frame in it; a sample that
//     does not compile is not imported.
// A sample must therefore be complete: its imports, and every name it uses
// defined (`declare const app: Express;` in TypeScript is fine). A marked
// block in another language, or a marker with no block after it, fails.
//
// A complete program is kept as a file under examples/ (the tests run it) and
// shown with `<!-- include: examples/path/file.ext -->` before its block (a
// sample marker may sit before or after it): the block IS the file, checked
// by `npm run test:includes` and rewritten by `npm run docs:include`
// (scripts/include-examples.mjs).
//
// The samples are written to target/samples/ (kept after the run, to read).
// Output: each failure with its document and line, then one summary line,
//   samples: N checked (ts X, js Y, py Z: I imported, R run), F failed
// (I, R: the Python samples imported, run, without error) and the exit code
// is 1 when any sample failed. `--docs DIR` checks DIR/*.md instead of
// README.md and docs/*.md, into DIR/samples/ (the checker's own test).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { importSamples } from './samples/python-import.mjs';
import { CHECKED_JS, compilerOptions, STRICT_TS } from './samples/typescript.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--docs DIR`: DIR/*.md instead of the repository's documents, written to DIR/samples/.
const docsFlag = process.argv.indexOf('--docs');
if (docsFlag !== -1 && !process.argv[docsFlag + 1]) throw new Error('--docs needs a directory');
const docsAt = docsFlag === -1 ? null : resolve(process.argv[docsFlag + 1]);
const out = docsAt ? join(docsAt, 'samples') : join(root, 'target', 'samples');
const python = join(root, 'target', 'py-venv', 'bin', 'python');
const RUN_TIMEOUT_MS = 60_000;

const MARKER = /^<!--\s*sample:\s*([a-z0-9][a-z0-9-]*)(\s+run)?\s*-->$/;
const ANY_MARKER = /^<!--\s*sample:/;
const COMMENT = /^<!--.*-->$/;
const FENCE = /^(`{3,}|~{3,})\s*([\w-]*)/;
const KINDS = { ts: 'ts', js: 'js', mjs: 'js', python: 'py', py: 'py' };

/** The documents searched: README.md, then docs/*.md in name order (with `--docs DIR`: DIR/*.md). */
function documents() {
  if (docsAt) return readdirSync(docsAt).filter((name) => name.endsWith('.md')).sort().map((name) => join(docsAt, name));
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/**
 * The marked blocks of one document: { doc, name, run, kind, lang, line, code }
 * (`line`: the document's line of the block's first code line). Marker
 * problems are pushed to `problems`.
 */
function extract(doc, problems) {
  const lines = readFileSync(resolve(root, doc), 'utf8').split('\n');
  const samples = [];
  const names = new Set();
  let fence = null; // the opening fence while inside a block
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i].trim();
    if (fence) {
      if (text.startsWith(fence) && text.slice(fence.length).trim() === '') fence = null;
      continue;
    }
    const opening = FENCE.exec(text);
    if (opening) {
      fence = opening[1];
      continue;
    }
    if (!ANY_MARKER.test(text)) continue;
    const where = `${doc}:${i + 1}`;
    const marker = MARKER.exec(text);
    if (!marker) {
      problems.push(`${where}: malformed marker (expected <!-- sample: NAME --> or <!-- sample: NAME run -->)`);
      continue;
    }
    const [, name, run] = marker;
    if (names.has(name)) problems.push(`${where}: sample name \`${name}\` used twice in ${doc}`);
    names.add(name);
    let j = i + 1;
    while (j < lines.length && (lines[j].trim() === '' || (COMMENT.test(lines[j].trim()) && !ANY_MARKER.test(lines[j].trim())))) j += 1;
    const block = FENCE.exec(lines[j]?.trim() ?? '');
    if (!block) {
      problems.push(`${where}: sample \`${name}\` is not followed by a fenced code block`);
      continue;
    }
    const kind = KINDS[block[2]];
    if (!kind) {
      problems.push(`${where}: sample \`${name}\` is a \`${block[2] || 'plain'}\` block; samples are ts, js, mjs or python`);
      continue;
    }
    let end = j + 1;
    while (end < lines.length && !(lines[end].trim().startsWith(block[1]) && lines[end].trim().slice(block[1].length).trim() === '')) end += 1;
    samples.push({ doc, name, run: Boolean(run), kind, lang: block[2], line: j + 2, code: lines.slice(j + 1, end).join('\n') });
    i = end; // the loop skips the closing fence
  }
  return samples;
}

/** The file a sample is written to, under target/samples/ (Python: a module name). */
function fileOf(sample) {
  const doc = relative(docsAt ?? root, resolve(root, sample.doc));
  const base = `${doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '_')}__${sample.name.replace(/-/g, '_')}`.toLowerCase();
  return join(out, { ts: `${base}.ts`, js: `${base}.mjs`, py: `${base}.py` }[sample.kind]);
}

function prepare(samples) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'node_modules'), { recursive: true });
  // ES modules here; `mcp-auth-rs` is the repository root, as installed.
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`);
  symlinkSync(relative(join(out, 'node_modules'), root), join(out, 'node_modules', 'mcp-auth-rs'), 'dir');
  for (const sample of samples) {
    sample.file = fileOf(sample);
    // `export {}` keeps each TypeScript/JavaScript sample a module of its own.
    writeFileSync(sample.file, sample.kind === 'py' ? `${sample.code}\n` : `${sample.code}\nexport {};\n`);
  }
}

/** Runs a command; returns { ok, output }. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: out, encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0 && !result.error, output };
}

/** Gives each output line that names a sample's file to that sample, with its document line. */
function attribute(samples, output, pattern, fail) {
  const unclaimed = [];
  let claimed = 0;
  let last = null; // an indented line continues the message before it
  for (const line of output.split('\n').filter(Boolean)) {
    const match = pattern.exec(line);
    const sample = match && samples.find((s) => s.file.endsWith(`/${match[1]}`) || s.file === match[1]);
    if (sample) {
      const docLine = sample.line + Number(match[2]) - 1;
      fail(sample, `${sample.doc}:${docLine}: ${match[3].trim()}`);
      claimed += 1;
      last = sample;
    } else if (last && /^\s/.test(line)) fail(last, line);
    else {
      unclaimed.push(line);
      last = null;
    }
  }
  return { unclaimed, claimed };
}

/** `tsc --noEmit` over some samples with extra compiler options. */
function typecheck(samples, name, extra, fail) {
  if (samples.length === 0) return;
  const config = {
    compilerOptions: compilerOptions(extra),
    files: samples.map((s) => relative(out, s.file)),
  };
  writeFileSync(join(out, `tsconfig.${name}.json`), `${JSON.stringify(config, null, 2)}\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const { ok, output } = run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`, '--pretty', 'false']);
  if (ok) return;
  // A failure that names no sample (a crash, a bad configuration) still fails.
  const { unclaimed, claimed } = attribute(samples, output, /^(\S+?)\((\d+),\d+\): (.*)$/, fail);
  if (claimed === 0 || unclaimed.some((line) => /error/i.test(line))) fail(null, `tsc (${name}): ${unclaimed.join('\n').trim() || 'failed'}`);
}

/** Compiles and type-checks the Python samples as written; returns those that compiled. */
function checkPython(samples, fail) {
  if (samples.length === 0) return [];
  if (!existsSync(python)) {
    for (const sample of samples) fail(sample, `${sample.doc}:${sample.line}: no Python virtualenv at target/py-venv (run \`npm run build:python\`)`);
    return [];
  }
  const compiled = samples.filter((sample) => {
    const { ok, output } = run(python, ['-m', 'py_compile', sample.file]);
    if (!ok) fail(sample, `${sample.doc}:${sample.line}: py_compile: ${output.trim()}`);
    return ok;
  });
  const files = samples.map((s) => relative(out, s.file));
  const mypy = run(python, ['-m', 'mypy', '--config-file', join(root, 'python', 'pyproject.toml'), '--strict', '--cache-dir', join(root, 'target', 'samples-mypy-cache'), '--no-error-summary', ...files]);
  if (mypy.ok) return compiled;
  const { unclaimed, claimed } = attribute(samples, mypy.output, /^(\S+?\.py):(\d+): ((?:error|note): .*)$/, fail);
  if (claimed === 0 || unclaimed.length > 0) fail(null, `mypy: ${unclaimed.join('\n').trim() || 'failed'}`);
  return compiled;
}

/** Runs the JavaScript samples marked `run` (the Python ones run in the import phase). */
function runSamples(samples, fail) {
  for (const sample of samples.filter((s) => s.run && s.kind === 'js')) {
    const command = process.execPath;
    const { ok, output } = run(command, [sample.file], { timeout: RUN_TIMEOUT_MS });
    if (!ok) fail(sample, `${sample.doc}:${sample.line}: run failed:\n${output.trim()}`);
  }
}

async function main() {
  const problems = [];
  const samples = documents().flatMap((doc) => extract(doc, problems));
  if (!existsSync(join(root, 'dist', 'index.d.mts'))) problems.push('dist/ is missing: run `npm run build` (or `npm run build:ts`) first');
  prepare(samples);

  // A failure belongs to a sample, or (a tool's error naming no sample) to none.
  const failed = new Map(); // `doc \`name\`` → messages
  const fail = (sample, message) => {
    if (!sample) return problems.push(message);
    const key = `${sample.doc} \`${sample.name}\``;
    failed.set(key, [...(failed.get(key) ?? []), message]);
  };
  const of = (kind) => samples.filter((s) => s.kind === kind);

  for (const sample of of('js')) {
    const syntax = run(process.execPath, ['--check', sample.file]);
    if (!syntax.ok) fail(sample, `${sample.doc}:${sample.line}: node --check: ${syntax.output.trim()}`);
  }
  typecheck(of('ts'), 'ts', STRICT_TS, fail);
  typecheck(of('js'), 'js', CHECKED_JS, fail);
  const compiled = checkPython(of('py'), fail);
  runSamples(samples, fail);
  // The rewritten copies (scripts/samples/python-import.mjs) go to out/import/.
  const { imported, ran } = await importSamples(compiled, { executable: python, dir: join(out, 'import'), fail });

  for (const problem of problems) console.error(`✗ ${problem}`);
  for (const [key, messages] of failed) console.error(`✗ ${key}\n  ${messages.join('\n  ')}`);
  const count = (kind) => of(kind).length;
  const failures = problems.length + failed.size;
  console.log(`samples: ${samples.length} checked (ts ${count('ts')}, js ${count('js')}, py ${count('py')}: ${imported} imported, ${ran} run), ${failures} failed`);
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
