// The install test's user servers are written once and emitted as an ES
// module (top-level await) or as CommonJS (an async main that exits 1 on error).

export function userModule(kind, { esm, cjs }, body) {
  if (kind === 'esm') return `${esm}\n${body}`;
  return `${cjs}\n\n(async () => {${body}})().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n`;
}
