#!/usr/bin/env node
// Parses every ```mermaid block of README.md and docs/*.md with Mermaid's own
// parser (`npm run test:mermaid`), so that a diagram GitHub would show as an
// error fails CI instead. Parse only: nothing is laid out or rendered, and no
// browser runs. Mermaid's flowchart parser sanitizes labels with DOMPurify,
// which needs a `window`: happy-dom's stands in for it.
// Output: each failure with its document, line and the parser's message, then
//   mermaid: N diagrams parsed, F failed
// and the exit code is 1 when any diagram failed (or none was found).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Window } from 'happy-dom';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FENCE = /^(`{3,}|~{3,})\s*([\w-]*)/;

/** README.md, then docs/*.md in name order. */
function documents() {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The mermaid blocks of one document: { doc, line, text }. */
function diagrams(doc) {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i].trim());
    if (!open) continue;
    // The closing fence: the same character, at least as long.
    const close = new RegExp(`^${open[1][0]}{${open[1].length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end].trim())) end++;
    if (open[2] === 'mermaid') found.push({ doc, line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

const window = new Window();
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

const all = documents().flatMap(diagrams);
let failed = 0;
for (const { doc, line, text } of all) {
  try {
    await mermaid.parse(text);
  } catch (error) {
    failed++;
    console.error(`${doc}:${line}: ${String(error?.message ?? error).trim()}\n`);
  }
}
await window.happyDOM.close();
console.log(`mermaid: ${all.length} diagrams parsed, ${failed} failed`);
process.exitCode = failed === 0 && all.length > 0 ? 0 : 1;
