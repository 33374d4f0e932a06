// Reads the sources (no compiler, no dependency) for __test__/architecture.test.mjs:
// the import graph of lib/ (TypeScript) and of each Rust crate at file
// granularity, lines of code, and whether each folder says what it owns.
// Every function takes the directory to read, so the test can also run it on
// a deliberately broken copy and see it fail.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const posix = (path) => path.split(sep).join('/');

/** Every file under `dir` (recursively) whose name passes `keep`, skipping node_modules and target. */
export function filesUnder(dir, keep = () => true) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'target') out.push(...filesUnder(path, keep));
    } else if (keep(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Every folder under `dir`, `dir` included. */
export function foldersUnder(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'target') out.push(...foldersUnder(join(dir, entry.name)));
  }
  return out;
}

// ---- lexing: comments out, strings blanked, line structure kept ---------------------

/**
 * `text` with every comment replaced by spaces (newlines kept, so line numbers
 * and line counts stay) and, when `blankStrings`, the inside of every string
 * literal too. `language` is 'ts' or 'rust': TypeScript has '…', `…` (with
 * ${} code inside) and regular expression literals; Rust has nested block
 * comments, raw strings and char literals (a quote that is not one is a lifetime).
 */
export function stripComments(text, language, { blankStrings = false } = {}) {
  const out = [];
  let i = 0;
  const n = text.length;
  const blank = (from, to, keepEnds) => {
    for (let k = from; k < to; k++) {
      const c = text[k];
      const end = keepEnds && (k === from || k === to - 1);
      out.push(c === '\n' || c === '\r' || end ? c : ' ');
    }
  };
  const templateDepth = []; // TS: brace depth at which each open `${` returns to its template
  let braces = 0;
  let lastSignificant = '';
  const regexMayStart = () => lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant) || /\b(return|typeof|case|in|of|void|yield|await)$/.test(out.slice(-8).join(''));
  const quoted = (start, quote) => {
    let k = start + 1;
    while (k < n && text[k] !== quote) {
      if (text[k] === '\\') k++;
      else if (quote !== '`' && text[k] === '\n' && language === 'ts') break;
      else if (quote === '`' && text[k] === '$' && text[k + 1] === '{') return { end: k + 2, opensCode: true };
      k++;
    }
    return { end: Math.min(k + 1, n), opensCode: false };
  };
  const emitString = (from, to, keepEnds = true) => (blankStrings ? blank(from, to, keepEnds) : out.push(text.slice(from, to)));

  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      let k = i;
      while (k < n && text[k] !== '\n') k++;
      blank(i, k);
      i = k;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 0;
      let k = i;
      do {
        if (text[k] === '/' && text[k + 1] === '*') { depth++; k += 2; }
        else if (text[k] === '*' && text[k + 1] === '/') { depth--; k += 2; }
        else k++;
        if (language === 'ts' && depth > 1) depth = 1; // TS block comments do not nest
      } while (k < n && depth > 0);
      blank(i, k);
      i = k;
      continue;
    }
    if (language === 'ts') {
      if (c === '}' && templateDepth.length && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        const { end, opensCode } = quoted(i, '`');
        if (opensCode) templateDepth.push(braces);
        emitString(i, end, false);
        i = end;
        lastSignificant = '`';
        continue;
      }
      if (c === '"' || c === "'" || c === '`') {
        const { end, opensCode } = quoted(i, c);
        if (opensCode) templateDepth.push(braces);
        emitString(i, end, !opensCode);
        i = end;
        lastSignificant = c;
        continue;
      }
      if (c === '/' && regexMayStart()) {
        let k = i + 1;
        let inClass = false;
        while (k < n && text[k] !== '\n' && (inClass || text[k] !== '/')) {
          if (text[k] === '\\') k++;
          else if (text[k] === '[') inClass = true;
          else if (text[k] === ']') inClass = false;
          k++;
        }
        if (text[k] === '/') {
          k++;
          while (k < n && /[a-z]/i.test(text[k])) k++;
          emitString(i, k);
          i = k;
          lastSignificant = '/';
          continue;
        }
      }
      if (c === '{') braces++;
      if (c === '}') braces--;
    } else {
      const raw = /^(b?r)(#*)"/.exec(text.slice(i, i + 40));
      if (raw && !/[\w]/.test(text[i - 1] ?? '')) {
        const close = `"${raw[2]}`;
        const startBody = i + raw[0].length;
        const at = text.indexOf(close, startBody);
        const end = at < 0 ? n : at + close.length;
        emitString(i, end, false);
        i = end;
        lastSignificant = '"';
        continue;
      }
      if (c === '"') {
        const { end } = quoted(i, '"');
        emitString(i, end);
        i = end;
        lastSignificant = '"';
        continue;
      }
      if (c === "'") {
        const char = /^'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'/.exec(text.slice(i, i + 16));
        if (char) {
          emitString(i, i + char[0].length);
          i += char[0].length;
          lastSignificant = "'";
          continue;
        }
      }
    }
    out.push(c);
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out.join('');
}

/** Lines holding code: blank lines and lines with only comments are not counted. */
export function linesOfCode(text, language) {
  return stripComments(text, language).split('\n').filter((line) => line.trim() !== '').length;
}

// ---- graphs -----------------------------------------------------------------------

/**
 * The cycles of a graph (Map of node → Map of neighbour → evidence): one entry
 * per strongly connected component of more than one node, with one closed path
 * through it and every edge inside it, each with its evidence.
 */
export function findCycles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];
  let counter = 0;
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);

  return components.map((members) => {
    const inside = new Set(members);
    const edges = [];
    for (const from of members) {
      for (const [to, evidence] of graph.get(from)) if (inside.has(to) && to !== from) edges.push({ from, to, evidence });
    }
    return { members, path: closedPath(graph, members[0], inside), edges };
  });
}

// A shortest path from `start` back to itself inside one component (breadth first).
function closedPath(graph, start, inside) {
  const previous = new Map();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift();
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (!inside.has(next) || next === node) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

/** A readable account of `cycles` (from findCycles): the path, then each edge with where it is made. */
export function describeCycles(cycles) {
  return cycles
    .map(({ path, edges }) =>
      [`cycle: ${path.join(' → ')}`, ...edges.map(({ from, to, evidence }) => `  ${from} → ${to}: ${evidence.join('; ')}`)].join('\n'),
    )
    .join('\n');
}

// Evidence is `file:line …`: one per line is enough (a use tree names many items).
const addEdge = (graph, from, to, evidence) => {
  if (from === to) return;
  const edges = graph.get(from);
  if (!edges.has(to)) edges.set(to, []);
  const where = evidence.split(' ')[0];
  if (!edges.get(to).some((known) => known.split(' ')[0] === where)) edges.get(to).push(evidence);
};

// ---- TypeScript -----------------------------------------------------------------------

// `import … from '…'`, `import '…'`, `export … from '…'` (type-only forms included),
// matched on text without comments and with every string blanked but its quotes.
// The clause holds no quote, semicolon, paren or `=`, so a declaration
// (`export function f() {`, `export const x =`) never starts one.
const tsStatement = /(?:^|[;}\n])\s*(?:import|export)\b(?:\s*[^;'"`()=]*?\bfrom)?\s*(['"])[^'"\n]*\1/g;
// `import('…')` in a type position (or a dynamic import) and `require('…')`.
const tsCall = /\b(?:import|require)\s*\(\s*(['"])[^'"\n]*\1\s*\)/g;

/** The module specifiers a TypeScript source imports or re-exports statically, with their line numbers. */
export function tsImports(text) {
  // Blanking keeps every offset, so a specifier is read back from `text` where its quotes are in `code`.
  const code = stripComments(text, 'ts', { blankStrings: true });
  const found = [];
  for (const pattern of [tsStatement, tsCall]) {
    for (const match of code.matchAll(pattern)) {
      const open = match.index + match[0].indexOf(match[1]);
      const close = code.indexOf(match[1], open + 1);
      found.push({ specifier: text.slice(open + 1, close), line: code.slice(0, open).split('\n').length });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** The import graph of every `.ts` file under `dir` (not `.d.ts`): node = path relative to `dir`. */
export function tsGraph(dir) {
  const files = filesUnder(dir, (name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
  const graph = new Map(files.map((file) => [posix(relative(dir, file)), new Map()]));
  for (const file of files) {
    const from = posix(relative(dir, file));
    for (const { specifier, line } of tsImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const to = posix(relative(dir, join(dirname(file), specifier))).replace(/\.(m?js)$/, '.ts');
      if (graph.has(to)) addEdge(graph, from, to, `${from}:${line} '${specifier}'`);
    }
  }
  return graph;
}

// ---- Rust -------------------------------------------------------------------------------

const isRustTestFileName = (name) => /(^test_.*|_tests)\.rs$/.test(name);

/** The module path of a file under a crate's `src/` (`tokens/mod.rs` and `tokens.rs` → `tokens`). */
function rustModulePath(srcDir, file) {
  const rel = posix(relative(srcDir, file)).replace(/\.rs$/, '');
  if (rel === 'lib' || rel === 'main') return '';
  return rel.replace(/\/mod$/, '').split('/').join('::');
}

/**
 * `code` (comments and strings already stripped) without its `#[cfg(test)]`
 * items, and the names of the `mod x;` declared under `#[cfg(test)]`.
 */
function withoutTestItems(code) {
  const testModules = [];
  let result = code;
  for (;;) {
    const at = result.search(/#\[cfg\(test\)\]/);
    if (at < 0) break;
    let k = at + '#[cfg(test)]'.length;
    // Further attributes on the same item.
    for (;;) {
      const rest = /^\s*#\[/.exec(result.slice(k));
      if (!rest) break;
      k += rest[0].length;
      let depth = 1;
      while (k < result.length && depth > 0) {
        if (result[k] === '[') depth++;
        if (result[k] === ']') depth--;
        k++;
      }
    }
    const declared = /^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/.exec(result.slice(k));
    if (declared) testModules.push(declared[1]);
    let end = k;
    while (end < result.length && result[end] !== ';' && result[end] !== '{') end++;
    if (result[end] === '{') {
      let depth = 0;
      do {
        if (result[end] === '{') depth++;
        if (result[end] === '}') depth--;
        end++;
      } while (end < result.length && depth > 0);
    } else end++;
    result = result.slice(0, at) + result.slice(at, end).replace(/[^\n]/g, ' ') + result.slice(end);
  }
  return { code: result, testModules };
}

// `use a::{b, c::{d as e, self}}` → ['a::b', 'a::c::d', 'a::c'] (segments only; `*` kept as a segment).
function expandUseTree(tree) {
  const tokens = tree.replace(/\s+/g, ' ').match(/::|\{|\}|,|[\w*]+(?: as \w+)?/g) ?? [];
  let at = 0;
  const parseList = (prefix) => {
    const out = [];
    for (;;) {
      out.push(...parseTree(prefix));
      if (tokens[at] === ',') {
        at++;
        if (tokens[at] === '}' || tokens[at] === undefined) return out;
        continue;
      }
      return out;
    }
  };
  const parseTree = (prefix) => {
    const path = [...prefix];
    for (;;) {
      const token = tokens[at];
      if (token === '{') {
        at++;
        const inner = parseList(path);
        at++; // '}'
        return inner;
      }
      if (token === undefined || token === ',' || token === '}') return [path];
      if (token !== '::') path.push(token.replace(/ as \w+$/, ''));
      at++;
    }
  };
  return parseList([]).map((segments) => segments.filter((segment, k) => !(segment === 'self' && k > 0)));
}

/**
 * The module graph of one crate's `src/` at file granularity: an edge for each
 * `use` of a module or item of the crate (`crate::`, `super::`, `self::`, a
 * child module) and for each path written out in code (`crate::a::f()`).
 * `mod x;` declarations are not edges: a file owns its children. Test-only
 * files (`#[cfg(test)] mod x;`, `*_tests.rs`, `test_*.rs`) and `#[cfg(test)]`
 * items are left out.
 */
export function rustGraph(srcDir) {
  const files = filesUnder(srcDir, (name) => name.endsWith('.rs'));
  const parsed = new Map();
  const byModule = new Map();
  for (const file of files) {
    const text = stripComments(readFileSync(file, 'utf8'), 'rust', { blankStrings: true });
    const { code, testModules } = withoutTestItems(text);
    const module = rustModulePath(srcDir, file);
    parsed.set(file, { code, testModules, module });
    byModule.set(module, file);
  }
  // Test-only files, and everything under a test-only module.
  const testOnly = new Set(files.filter((file) => isRustTestFileName(file.split(sep).pop())));
  for (const { testModules, module } of parsed.values()) {
    for (const name of testModules) {
      const child = module ? `${module}::${name}` : name;
      for (const [other, file] of byModule) if (other === child || other.startsWith(`${child}::`)) testOnly.add(file);
    }
  }
  const node = (file) => posix(relative(srcDir, file));
  const graph = new Map(files.filter((file) => !testOnly.has(file)).map((file) => [node(file), new Map()]));

  const resolve = (module, segments) => {
    let base;
    let rest = segments;
    const here = module ? module.split('::') : [];
    if (segments[0] === 'crate') {
      base = [];
      rest = segments.slice(1);
    } else if (segments[0] === 'self') {
      base = here;
      rest = segments.slice(1);
    } else if (segments[0] === 'super') {
      base = here;
      while (rest[0] === 'super') {
        base = base.slice(0, -1);
        rest = rest.slice(1);
      }
    } else if (byModule.has([...here, segments[0]].join('::'))) base = here;
    else return undefined; // another crate
    const full = [...base, ...rest.filter((segment) => segment !== '*')];
    for (let k = full.length; k >= 0; k--) {
      const file = byModule.get(full.slice(0, k).join('::'));
      if (file) return file;
    }
    return undefined;
  };

  for (const [file, { code, module }] of parsed) {
    if (testOnly.has(file)) continue;
    const from = node(file);
    const lineOf = (index) => code.slice(0, index).split('\n').length;
    const useSpans = [];
    for (const match of code.matchAll(/\buse\s+([^;]+);/g)) {
      useSpans.push([match.index, match.index + match[0].length]);
      for (const segments of expandUseTree(match[1])) {
        const target = resolve(module, segments);
        if (target && !testOnly.has(target)) addEdge(graph, from, node(target), `${from}:${lineOf(match.index)} use ${segments.join('::')}`);
      }
    }
    for (const match of code.matchAll(/(?<![\w:])(?:crate|self|super)(?:::(?:super|\w+))+/g)) {
      if (useSpans.some(([start, end]) => match.index >= start && match.index < end)) continue;
      if (/\bpub\s*\(\s*$/.test(code.slice(Math.max(0, match.index - 8), match.index))) continue; // pub(super) / pub(crate)
      const target = resolve(module, match[0].split('::'));
      if (target && !testOnly.has(target)) addEdge(graph, from, node(target), `${from}:${lineOf(match.index)} ${match[0]}`);
    }
  }
  return graph;
}

// ---- folders ------------------------------------------------------------------------------

/**
 * Whether a folder says what it owns: a TypeScript folder has a README.md or
 * an index.ts that opens with a comment; a Rust module folder's `mod.rs` (or
 * the `x.rs` beside folder `x`, or `lib.rs` at the crate root) opens with `//!`.
 */
export function folderHeader(folder, language) {
  if (language === 'ts') {
    if (existsSync(join(folder, 'README.md'))) return { ok: true, by: 'README.md' };
    const index = join(folder, 'index.ts');
    if (!existsSync(index)) return { ok: false, why: 'has no README.md and no index.ts' };
    const opens = /^\s*(\/\/|\/\*)/.test(readFileSync(index, 'utf8'));
    return opens ? { ok: true, by: 'index.ts' } : { ok: false, why: 'index.ts does not open with a comment (and there is no README.md)' };
  }
  const candidates = [join(folder, 'mod.rs'), `${folder}.rs`, join(folder, 'lib.rs'), join(folder, 'main.rs')];
  const file = candidates.find((path) => existsSync(path));
  if (!file) return { ok: false, why: 'has no mod.rs, lib.rs or sibling .rs file' };
  const opens = readFileSync(file, 'utf8').trimStart().startsWith('//!');
  const name = relative(folder, file).split(sep).join('/');
  return opens ? { ok: true, by: name } : { ok: false, why: `${name} does not open with a //! comment` };
}
