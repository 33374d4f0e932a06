#!/usr/bin/env node
// Keeps one copy of every complete program shown in the documentation: the
// program is a file under examples/ (which the tests run), and the docs
// include it (`npm run docs:include` rewrites, `npm run test:includes` checks).
//
// The marker convention. In README.md and docs/*.md, a line
//
//     <!-- include: examples/path/file.ext -->
//
// before a fenced code block (blank lines and other HTML comments, such as a
// `<!-- sample: NAME -->` marker, may sit between) says that the block's
// content IS that file, byte for byte (the file ends with a newline; an
// indented fence indents every non-empty line of the file as much). The path
// is relative to the repository root and lies under examples/.
//
//   node scripts/include-examples.mjs           check (test:includes): each
//       block that differs, or a marker problem, is printed with its document
//       line and file; then one summary line,
//         includes: N blocks match their files, F differ
//       and the exit code is 1 when F > 0; then the type check below.
//   node scripts/include-examples.mjs --write   rewrite (docs:include): each
//       differing block is replaced by its file; marker problems still fail.
//
// `includes()` is exported for tests that want the same rule.
//
// The check also type-checks every JavaScript and TypeScript file under
// examples/ against the built package (`npm run build` first), the way
// scripts/check-samples.mjs checks samples: `tsc --noEmit`; JavaScript with
// `allowJs` and `checkJs`, not strict (plain JavaScript has no non-null
// assertions; minimal JSDoc where a type cannot be inferred), TypeScript
// (.ts, .mts) strict. `mcp-auth-rs` resolves to the repository root by its
// package name, as installed: its `exports` and `dist/` typings. The
// configurations are written to target/examples-check/. Each error is
// printed, then
//     examples: N files type-checked (js X, ts Y), F failed
// and the exit code is 1 when F > 0 (with --write as well).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { CHECKED_JS, compilerOptions, STRICT_TS } from './samples/typescript.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const MARKER = /^<!--\s*include:\s*(\S+)\s*-->$/;
const ANY_MARKER = /^<!--\s*include:/;
const COMMENT = /^<!--.*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})/;

/** The documents searched: README.md, then docs/*.md in name order. */
export function documents(base = root) {
  const docs = readdirSync(join(base, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

const closes = (line, fence) => line.trim().startsWith(fence) && line.trim().slice(fence.length).trim() === '';

/**
 * Every include marker of one document's `text`:
 * { doc, line (the marker's, 1-based), file, problem?, start, end (the block's
 * content lines, [start, end) 0-based), indent, fence, expected (the block the
 * file makes), matches }.
 */
function scan(doc, text, base) {
  const lines = text.split('\n');
  const found = [];
  let fence = null; // the opening fence while inside a block
  for (let i = 0; i < lines.length; i += 1) {
    if (fence) {
      if (closes(lines[i], fence)) fence = null;
      continue;
    }
    const opening = FENCE.exec(lines[i]);
    if (opening) {
      fence = opening[2];
      continue;
    }
    const trimmed = lines[i].trim();
    if (!ANY_MARKER.test(trimmed)) continue;
    const entry = { doc, line: i + 1, file: null, matches: false };
    found.push(entry);
    const marker = MARKER.exec(trimmed);
    if (!marker) {
      entry.problem = 'malformed marker (expected <!-- include: examples/path/file.ext -->)';
      continue;
    }
    const file = marker[1];
    entry.file = file;
    if (normalize(file) !== file || !file.startsWith('examples/') || file.includes('..')) {
      entry.problem = `\`${file}\` is not a path under examples/`;
      continue;
    }
    if (!existsSync(join(base, file))) {
      entry.problem = `${file} does not exist`;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && (lines[j].trim() === '' || (COMMENT.test(lines[j].trim()) && !ANY_MARKER.test(lines[j].trim())))) j += 1;
    const block = FENCE.exec(lines[j] ?? '');
    if (!block) {
      entry.problem = `the marker for ${file} is not followed by a fenced code block`;
      continue;
    }
    const [, indent, mark] = block;
    let end = j + 1;
    while (end < lines.length && !closes(lines[end], mark)) end += 1;
    if (end === lines.length) {
      entry.problem = `the block for ${file} is not closed`;
      continue;
    }
    const content = readFileSync(join(base, file), 'utf8');
    if (!content.endsWith('\n')) {
      entry.problem = `${file} does not end with a newline`;
      continue;
    }
    const fileLines = content.slice(0, -1).split('\n');
    if (fileLines.some((line) => closes(line, mark))) {
      entry.problem = `${file} has a line that would close the ${mark} fence: use a longer fence`;
      continue;
    }
    Object.assign(entry, {
      start: j + 1,
      end,
      expected: fileLines.map((line) => (line === '' ? '' : `${indent}${line}`)),
    });
    entry.matches = lines.slice(j + 1, end).join('\n') === entry.expected.join('\n');
    i = end; // the loop skips the closing fence
  }
  return found;
}

/**
 * Checks (or, with `write`, rewrites) every included block of README.md and
 * docs/*.md under `base`. Returns the markers, each { doc, line, file,
 * matches, problem? }; after a rewrite, `matches` tells how it was before.
 */
export function includes({ write = false, base = root } = {}) {
  const all = [];
  for (const doc of documents(base)) {
    const path = join(base, doc);
    const text = readFileSync(path, 'utf8');
    const found = scan(doc, text, base);
    all.push(...found);
    const stale = found.filter((entry) => !entry.problem && !entry.matches);
    if (!write || stale.length === 0) continue;
    const lines = text.split('\n');
    for (const entry of stale.reverse()) lines.splice(entry.start, entry.end - entry.start, ...entry.expected);
    writeFileSync(path, lines.join('\n'));
  }
  return all.map(({ doc, line, file, matches, problem }) => ({ doc, line, file, matches, ...(problem ? { problem } : {}) }));
}

const CODE = /\.(c|m)?(j|t)s$/;

/** Every JavaScript/TypeScript file under examples/, repository-relative, in name order. */
export function exampleCode(base = root) {
  const walk = (dir) =>
    readdirSync(join(base, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
      return CODE.test(entry.name) ? [path] : [];
    });
  return walk('examples').sort();
}

const isTs = (file) => /\.(c|m)?ts$/.test(file);

/**
 * Type-checks `files` (repository-relative) with tsc against the built
 * package: JavaScript with `checkJs`, not strict; TypeScript strict, as
 * check-samples checks `ts` samples. The configurations go to `dir`. Returns
 * { ok, errors } (`errors`: tsc's lines, paths relative to the repository root).
 */
export function typecheckExamples(files = exampleCode(), { dir = join(root, 'target', 'examples-check') } = {}) {
  if (!existsSync(join(root, 'dist', 'index.d.mts'))) return { ok: false, errors: ['dist/ is missing: run `npm run build` (or `npm run build:ts`) first'] };
  const groups = [
    ['js', files.filter((file) => !isTs(file)), CHECKED_JS],
    ['ts', files.filter(isTs), STRICT_TS],
  ];
  const errors = [];
  for (const [name, group, extra] of groups) if (group.length > 0) errors.push(...tsc(dir, name, group, extra));
  return { ok: errors.length === 0, errors };
}

// One `tsc --noEmit` run; its output lines when it fails.
function tsc(dir, name, files, extra) {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, `tsconfig.${name}.json`);
  writeFileSync(config, `${JSON.stringify({ compilerOptions: compilerOptions(extra), files: files.map((file) => relative(dir, join(root, file))) }, null, 2)}\n`);
  const bin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [bin, '-p', relative(root, config), '--pretty', 'false'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status === 0 && !result.error) return [];
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.split('\n').filter(Boolean);
  return output.length > 0 ? output : [`tsc (${name}) failed`];
}

// One failure per file named in tsc's errors (or one for an error naming none).
function reportTypecheck() {
  const files = exampleCode();
  const { ok, errors } = typecheckExamples(files);
  const failed = new Set();
  for (const line of errors) {
    console.error(`✗ ${line}`);
    if (/^\s/.test(line)) continue; // the message above goes on
    const named = /^(\S+?)\(\d+,\d+\): /.exec(line);
    failed.add(named && files.includes(named[1]) ? named[1] : '(none)');
  }
  if (!ok && failed.size === 0) failed.add('(none)');
  const ts = files.filter(isTs).length;
  console.log(`examples: ${files.length} files type-checked (js ${files.length - ts}, ts ${ts}), ${failed.size} failed`);
  return failed.size;
}

function main() {
  const write = process.argv.includes('--write');
  const all = includes({ write });
  let failures = 0;
  for (const entry of all) {
    if (entry.problem) {
      failures += 1;
      console.error(`✗ ${entry.doc}:${entry.line}: ${entry.problem}`);
    } else if (!entry.matches && write) console.log(`  ${entry.doc}:${entry.line}: rewritten from ${entry.file}`);
    else if (!entry.matches) {
      failures += 1;
      console.error(`✗ ${entry.doc}:${entry.line}: the block differs from ${entry.file} (\`npm run docs:include\` rewrites it)`);
    }
  }
  const matching = all.filter((entry) => entry.matches).length;
  if (write) console.log(`includes: ${all.length - failures} blocks match their files (${all.length - failures - matching} rewritten), ${failures} differ`);
  else console.log(`includes: ${matching} blocks match their files, ${failures} differ`);
  const untyped = reportTypecheck();
  process.exitCode = failures > 0 || untyped > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
