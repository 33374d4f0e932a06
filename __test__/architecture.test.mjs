// The layout rules of issue 21 item 5, read from the sources (no build, no
// dependency; the reader is __test__/helpers/architecture.mjs):
//   - no import cycle among lib/**/*.ts, type-only imports included, and the
//     framework-neutral modules do not import lib/adapters/ (except the entry);
//   - no module cycle in a Rust crate (src/, crates/*/src/), at file
//     granularity, from `use` and written-out `crate::`/`super::`/`self::`
//     paths; `mod x;` is ownership, not an edge; test-only code is left out;
//   - no file in lib/, src/ or crates/ over 500 lines of code, blank lines
//     and comment-only lines not counted;
//   - every folder under lib/, src/ and crates/*/src/ says what it owns;
//   - the Python binding: no module cycle in the PyO3 crate (python/src/*.rs)
//     or in the package (python/src/mcp_auth_rs, lazy and TYPE_CHECKING
//     imports included), no file over 500 lines of code, every package
//     folder's __init__.py opens with a docstring.
// The last block runs each check on small broken trees, so each can fail.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  describeCycles,
  filesUnder,
  findCycles,
  folderHeader,
  foldersUnder,
  linesOfCode,
  rustGraph,
  tsGraph,
  tsImports,
} from './helpers/architecture.mjs';
import { pythonFolderHeader, pythonGraph, pythonImports, pythonLinesOfCode } from './helpers/architecture-python.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAX_LINES_OF_CODE = 500;
const shown = (path) => relative(root, path).split(sep).join('/');
const rustSources = (at) => [
  join(at, 'src'),
  ...(existsSync(join(at, 'python', 'src', 'lib.rs')) ? [join(at, 'python', 'src')] : []),
  ...readdirSync(join(at, 'crates'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(at, 'crates', entry.name, 'src')))
    .map((entry) => join(at, 'crates', entry.name, 'src')),
];

// The checks, each returning its findings (empty when the tree keeps the rule).
function libCycles(at) {
  return findCycles(tsGraph(join(at, 'lib')));
}

// Only the entry may reach into adapters/: index.ts re-exports them, and
// MCPAuth has Express, web-standard and SDK v2 methods.
function neutralImportsOfAdapters(at) {
  const entry = new Set(['index.ts', 'mcp-auth.ts']);
  const found = [];
  for (const [from, edges] of tsGraph(join(at, 'lib'))) {
    if (from.startsWith('adapters/') || entry.has(from)) continue;
    for (const [to, evidence] of edges) if (to.startsWith('adapters/')) found.push(...evidence);
  }
  return found;
}

function crateCycles(srcDir) {
  return findCycles(rustGraph(srcDir));
}

const PYTHON_PACKAGE = 'mcp_auth_rs';
const pythonPackage = (at) => join(at, 'python', 'src', PYTHON_PACKAGE);

function pythonCycles(at) {
  return findCycles(pythonGraph(pythonPackage(at), PYTHON_PACKAGE));
}

function oversized(at) {
  const code = [
    ...filesUnder(join(at, 'lib'), (name) => name.endsWith('.ts')).map((file) => [file, 'ts']),
    ...filesUnder(join(at, 'src'), (name) => name.endsWith('.rs')).map((file) => [file, 'rust']),
    ...filesUnder(join(at, 'crates'), (name) => name.endsWith('.rs')).map((file) => [file, 'rust']),
    ...filesUnder(join(at, 'python', 'src'), (name) => name.endsWith('.rs')).map((file) => [file, 'rust']),
    ...filesUnder(join(at, 'python', 'src'), (name) => name.endsWith('.py') || name.endsWith('.pyi')).map((file) => [file, 'python']),
  ];
  const count = (text, language) => (language === 'python' ? pythonLinesOfCode(text) : linesOfCode(text, language));
  return code
    .map(([file, language]) => ({ file, lines: count(readFileSync(file, 'utf8'), language) }))
    .filter(({ lines }) => lines > MAX_LINES_OF_CODE);
}

function silentFolders(at) {
  const folders = [
    ...foldersUnder(join(at, 'lib')).map((folder) => [folder, 'ts']),
    ...rustSources(at).flatMap((src) =>
      foldersUnder(src)
        .filter((folder) => !folder.startsWith(pythonPackage(at)))
        .map((folder) => [folder, 'rust']),
    ),
    ...foldersUnder(pythonPackage(at))
      .filter((folder) => !folder.endsWith('__pycache__'))
      .map((folder) => [folder, 'python']),
  ];
  const header = (folder, language) => (language === 'python' ? pythonFolderHeader(folder) : folderHeader(folder, language));
  return folders.map(([folder, language]) => ({ folder, ...header(folder, language) })).filter(({ ok }) => !ok);
}

describe('import graph', () => {
  it('lib/ has no import cycle, type-only imports included', () => {
    const cycles = libCycles(root);
    if (cycles.length) assert.fail(`import cycles in lib/:\n${describeCycles(cycles)}`);
  });

  it('no framework-neutral module in lib/ imports lib/adapters/ (only index.ts and mcp-auth.ts do)', () => {
    const found = neutralImportsOfAdapters(root);
    if (found.length) assert.fail(`neutral modules importing an adapter:\n${found.join('\n')}`);
  });

  it('the Python package has no import cycle (lazy and TYPE_CHECKING imports included)', () => {
    const cycles = pythonCycles(root);
    if (cycles.length) assert.fail(`import cycles in python/src/${PYTHON_PACKAGE}:\n${describeCycles(cycles)}`);
  });

  for (const src of rustSources(root)) {
    it(`${shown(src)}/ has no module cycle (file granularity; mod children, test-only files and #[cfg(test)] items left out)`, () => {
      const cycles = crateCycles(src);
      if (cycles.length) assert.fail(`module cycles in ${shown(src)}:\n${describeCycles(cycles)}`);
    });
  }
});

describe('file size', () => {
  it(`no file in lib/, src/ or crates/ has over ${MAX_LINES_OF_CODE} lines of code (blank and comment-only lines not counted)`, () => {
    const found = oversized(root).map(({ file, lines }) => `${shown(file)}: ${lines} lines of code`);
    if (found.length) assert.fail(`split these files:\n${found.join('\n')}`);
  });
});

describe('folders', () => {
  it('every folder under lib/, src/ and crates/*/src/ opens with what it owns (README.md or a leading index.ts comment; //! in mod.rs)', () => {
    const found = silentFolders(root).map(({ folder, why }) => `${shown(folder)}/ ${why}`);
    if (found.length) assert.fail(`say what these folders own:\n${found.join('\n')}`);
  });
});

// ---- each check fails on a tree that breaks its rule ----------------------------------

describe('the checks fail on broken trees', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-architecture-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let count = 0;
  const tree = (files) => {
    const at = join(scratch, String(count++));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(at, path)), { recursive: true });
      writeFileSync(join(at, path), text);
    }
    mkdirSync(join(at, 'crates'), { recursive: true });
    mkdirSync(join(at, 'src'), { recursive: true });
    return at;
  };

  it('reads every static import form, and no import inside a comment or string', () => {
    const source = [
      "import type { A } from './a.js';",
      'import {',
      '  b,',
      '  type C,',
      "} from './b.js';",
      "export type * from './c.js';",
      "export { d } from './d.js';",
      "import './e.js';",
      "type F = import('./f.js').F;",
      "// import { x } from './commented.js';",
      "/* export * from './block.js'; */",
      "const text = \"import { y } from './in-a-string.js'\";",
      "const url = 'https://example.com'; export const g = 1;",
    ].join('\n');
    assert.deepEqual(
      tsImports(source).map(({ specifier }) => specifier),
      ['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js'],
    );
  });

  it('finds a type-only import cycle in lib/ and names its edges', () => {
    const at = tree({
      'lib/index.ts': "// Entry.\nexport * from './types.js';\n",
      'lib/types.ts': "import type { Listener } from './events.js';\nexport type Config = { on?: Listener };\n",
      'lib/events.ts': "import type { Config } from './types.js';\nexport type Listener = (config: Config) => void;\n",
    });
    const cycles = libCycles(at);
    assert.equal(cycles.length, 1);
    assert.deepEqual(cycles[0].members, ['events.ts', 'types.ts']);
    assert.match(describeCycles(cycles), /events\.ts → types\.ts: events\.ts:1 '\.\/types\.js'/);
  });

  it('finds a cycle through a subfolder', () => {
    const at = tree({
      'lib/a.ts': "import { b } from './adapters/b.js';\nexport const a = b;\n",
      'lib/adapters/b.ts': "import type { A } from '../c.js';\nexport const b = 1;\n",
      'lib/c.ts': "export type { a as A } from './a.js';\n",
    });
    assert.deepEqual(libCycles(at)[0].path, ['a.ts', 'adapters/b.ts', 'c.ts', 'a.ts']);
    assert.deepEqual(neutralImportsOfAdapters(at), ["a.ts:1 './adapters/b.js'"]);
  });

  it('reads Python imports in every form, and none in a comment or a string', () => {
    const source = [
      '"""Docstring: from mcp_auth_rs.fake import nothing."""',
      'from mcp_auth_rs.a import (',
      '    b,',
      '    c as d,',
      ')',
      'import mcp_auth_rs.e, os',
      '# from mcp_auth_rs.commented import x',
      "text = 'import mcp_auth_rs.in_a_string'",
      'def lazy():',
      '    from .f import g',
      'from ..h import i',
    ].join('\n');
    assert.deepEqual(
      pythonImports(source, 'mcp_auth_rs.sub').map(({ module, names }) => [module, names]),
      [
        ['mcp_auth_rs.a', ['b', 'c']],
        ['mcp_auth_rs.e', []],
        ['os', []],
        ['mcp_auth_rs.sub.f', ['g']],
        ['mcp_auth_rs.h', ['i']],
      ],
    );
  });

  it('finds a Python import cycle hidden in a function, and a package folder without a docstring', () => {
    const at = tree({
      'python/src/mcp_auth_rs/__init__.py': '"""The package."""\n',
      'python/src/mcp_auth_rs/_setup.py': 'def check():\n    from mcp_auth_rs.utils import validate\n',
      'python/src/mcp_auth_rs/utils/__init__.py': 'from mcp_auth_rs.utils._validate import validate\n',
      'python/src/mcp_auth_rs/utils/_validate.py': 'from mcp_auth_rs._setup import check\n',
    });
    const cycles = pythonCycles(at);
    assert.equal(cycles.length, 1);
    assert.deepEqual(cycles[0].members, ['_setup.py', 'utils/__init__.py', 'utils/_validate.py']);
    const python = silentFolders(at).filter(({ folder }) => folder.startsWith(pythonPackage(at)));
    assert.deepEqual(
      python.map(({ folder, why }) => [relative(pythonPackage(at), folder), why]),
      [['utils', '__init__.py does not open with a docstring']],
    );
  });

  it('finds a Rust module cycle made by use and by written-out paths', () => {
    const at = tree({
      'crates/core/src/lib.rs': '//! Core.\npub mod tokens;\npub mod error;\n',
      'crates/core/src/error.rs': 'pub fn code() -> u8 { crate::tokens::claims::LIMIT }\n',
      'crates/core/src/tokens/mod.rs': '//! Tokens.\npub mod claims;\n',
      'crates/core/src/tokens/claims.rs': 'use super::super::error::code;\npub const LIMIT: u8 = 1;\n',
    });
    const cycles = crateCycles(join(at, 'crates/core/src'));
    assert.equal(cycles.length, 1);
    assert.deepEqual(cycles[0].path, ['error.rs', 'tokens/claims.rs', 'error.rs']);
    const text = describeCycles(cycles);
    assert.match(text, /error\.rs → tokens\/claims\.rs: error\.rs:1 crate::tokens::claims::LIMIT/);
    assert.match(text, /tokens\/claims\.rs → error\.rs: tokens\/claims\.rs:1 use super::super::error::code/);
  });

  it('does not count mod children, use trees into siblings, comments, or test-only code as Rust cycles', () => {
    const at = tree({
      'src/lib.rs': '//! Binding.\nmod a;\nmod b;\n#[cfg(test)]\nmod test_support;\nuse a::{self, Thing as Other};\n',
      // a.rs uses b; b.rs's way back is only in a comment, a string, a test module and test-only files.
      'src/a.rs': 'use crate::{b::{self, helper}};\npub struct Thing;\n',
      'src/b.rs': [
        '// use crate::a::Thing;',
        'pub fn helper() -> &\'static str { "crate::a::Thing" }',
        '#[cfg(test)]',
        'mod tests {',
        '    use crate::a::Thing;',
        '}',
        '#[cfg(test)]',
        '#[path = "b_tests.rs"]',
        'mod more_tests;',
      ].join('\n'),
      'src/b_tests.rs': 'use crate::a::Thing;\n',
      'src/test_support.rs': 'use crate::a::Thing;\nuse crate::b::helper;\n',
    });
    const graph = rustGraph(join(at, 'src'));
    assert.deepEqual([...graph.get('a.rs').keys()], ['b.rs']);
    assert.deepEqual([...graph.get('lib.rs').keys()], ['a.rs']);
    assert.equal(graph.has('b_tests.rs'), false);
    assert.equal(graph.has('test_support.rs'), false);
    assert.deepEqual(crateCycles(join(at, 'src')), []);
  });

  it('counts lines of code without blank and comment-only lines', () => {
    const ts = "// a comment\n\nconst a = 'http://x'; // trailing\n/* one\n   two */\nconst b = `\n\n`;\n";
    assert.equal(linesOfCode(ts, 'ts'), 3); // `const a`, `const b = \``, and the template's closing line
    // A char literal holding `"` opens no string: the comment after it stays a comment.
    const rust = '//! Module doc.\n/// Item doc.\nfn f<\'a>(x: &\'a str) -> char {\n    /* nested /* block */ still */\n    \'"\'\n    // after\n}\n';
    assert.equal(linesOfCode(rust, 'rust'), 3);
  });

  it('names a file over the limit', () => {
    const long = `//! Long.\n${'let x = 1;\n'.repeat(MAX_LINES_OF_CODE + 1)}`;
    const withComments = `${'// only a comment\n\n'.repeat(MAX_LINES_OF_CODE)}export const a = 1;\n`;
    const at = tree({ 'crates/core/src/long.rs': long, 'lib/commented.ts': withComments });
    assert.deepEqual(
      oversized(at).map(({ file, lines }) => [relative(at, file).split(sep).join('/'), lines]),
      [['crates/core/src/long.rs', MAX_LINES_OF_CODE + 1]],
    );
  });

  it('names a folder that does not say what it owns', () => {
    const at = tree({
      'lib/index.ts': '// Entry.\n',
      'lib/adapters/hono.ts': 'export {};\n',
      'lib/fleet/README.md': '# The fleet store\n',
      'lib/options/index.ts': "export * from './keys.js';\n",
      'src/lib.rs': '//! Binding.\nmod flow;\n',
      'src/flow/mod.rs': 'mod step;\n',
      'crates/core/src/lib.rs': '//! Core.\n',
      'crates/core/src/keys.rs': '//! Keys.\nmod jwk;\n',
      'crates/core/src/keys/jwk.rs': '',
    });
    assert.deepEqual(
      silentFolders(at).map(({ folder }) => relative(at, folder).split(sep).join('/')).sort(),
      ['lib/adapters', 'lib/options', 'src/flow'],
    );
  });
});
