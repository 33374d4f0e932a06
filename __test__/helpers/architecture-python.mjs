// Reads the Python package's sources (python/src/<package>/) for
// __test__/architecture.test.mjs, without a Python: its import graph at file
// granularity, lines of code, and whether each folder says what it owns.
// Every import statement counts, inside functions and `if TYPE_CHECKING:`
// blocks too (a lazy import hides a cycle, it does not remove it); a parent
// package's `__init__.py` is not an edge of every import below it.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { filesUnder } from './architecture.mjs';

const posix = (path) => path.split(sep).join('/');

/** `text` with comments and string literals (triple-quoted ones included) blanked, lines kept. */
export function stripPython(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') out.push(' '), i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let k = i + close.length;
      while (k < text.length && !text.startsWith(close, k) && (triple || text[k] !== '\n')) k += text[k] === '\\' ? 2 : 1;
      const end = Math.min(text.length, k + close.length);
      for (let j = i; j < end; j++) out.push(text[j] === '\n' ? '\n' : ' ');
      i = end;
      continue;
    }
    out.push(c);
    i++;
  }
  return out.join('');
}

/** Lines holding code: blank, comment-only and docstring-only lines are not counted. */
export function pythonLinesOfCode(text) {
  return stripPython(text).split('\n').filter((line) => line.trim() !== '').length;
}

/**
 * Every import statement: `{ module, names, line }`, with `module` absolute
 * (`from .x import y` resolved against `packagePath`, the importing module's
 * package as a dotted name) and `names` the imported names of a `from` form.
 */
export function pythonImports(text, packagePath) {
  const code = stripPython(text);
  const found = [];
  const statement = /^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)|import[ \t]+([^\n]+))/gm;
  for (const match of code.matchAll(statement)) {
    const line = code.slice(0, match.index).split('\n').length;
    if (match[3] !== undefined) {
      for (const part of match[3].split(',')) found.push({ module: part.trim().split(/\s+/)[0], names: [], line });
      continue;
    }
    let module = match[1];
    if (module.startsWith('.')) {
      const dots = module.length - module.replace(/^\.+/, '').length;
      const base = packagePath.split('.').slice(0, packagePath.split('.').length - (dots - 1));
      module = [...base, module.slice(dots)].filter(Boolean).join('.');
    }
    const names = match[2].replace(/[()\\\n]/g, ' ').split(',').map((n) => n.trim().split(/\s+/)[0]).filter(Boolean);
    found.push({ module, names, line });
  }
  return found;
}

/** The import graph of the package at `pkgDir` named `pkgName`: node = path relative to `pkgDir`. */
export function pythonGraph(pkgDir, pkgName) {
  const files = filesUnder(pkgDir, (name) => name.endsWith('.py') || name.endsWith('.pyi'));
  const node = (file) => posix(relative(pkgDir, file));
  const graph = new Map(files.map((file) => [node(file), new Map()]));
  // A dotted module name → its node, if it is one of the package's files.
  const resolve = (dotted) => {
    if (dotted !== pkgName && !dotted.startsWith(`${pkgName}.`)) return undefined;
    const rest = dotted.split('.').slice(1).join('/');
    for (const candidate of [`${rest}.py`, `${rest}.pyi`, `${rest ? `${rest}/` : ''}__init__.py`]) {
      if (graph.has(candidate)) return candidate;
    }
    return undefined;
  };
  for (const file of files) {
    const from = node(file);
    const parts = from.replace(/\.pyi?$/, '').split('/');
    const isPackage = parts.at(-1) === '__init__';
    const packagePath = [pkgName, ...parts.slice(0, isPackage ? -1 : -1)].join('.');
    for (const { module, names, line } of pythonImports(readFileSync(file, 'utf8'), packagePath)) {
      const targets = names.length === 0 ? [resolve(module)] : names.map((name) => resolve(`${module}.${name}`) ?? resolve(module));
      for (const to of targets) {
        if (to === undefined || to === from) continue;
        const edges = graph.get(from);
        const evidence = `${from}:${line} ${module}${names.length ? ` import ${names.join(', ')}` : ''}`;
        edges.set(to, [...(edges.get(to) ?? []), evidence]);
      }
    }
  }
  return graph;
}

/** Whether a package folder says what it owns: its `__init__.py` opens with a docstring. */
export function pythonFolderHeader(folder) {
  const init = join(folder, '__init__.py');
  if (!existsSync(init)) return { ok: false, why: 'has no __init__.py' };
  const opens = /^\s*(?:[rRuU]?)("""|''')/.test(readFileSync(init, 'utf8'));
  return opens ? { ok: true, by: '__init__.py' } : { ok: false, why: '__init__.py does not open with a docstring' };
}
