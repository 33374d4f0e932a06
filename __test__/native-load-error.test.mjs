// The load-error helper (lib/native.ts): when the addon does not load, the
// error is ours, says what to do, and building it never throws, even where
// process.report itself throws (as on Deno without --allow-sys). Runs a copy
// of the package without its .node in a child process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function loadWithout(preload) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-load-'));
  try {
    for (const entry of ['package.json', 'index.js', 'dist']) cpSync(join(root, entry), join(dir, entry), { recursive: true });
    writeFileSync(join(dir, 'preload.cjs'), preload);
    const script = `try { require(${JSON.stringify(join(dir, 'dist/index.js'))}); console.log('{"loaded":true}') } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, cause: String(e.cause?.message) })) }`;
    const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '' };
    return JSON.parse(execFileSync(process.execPath, ['--require', join(dir, 'preload.cjs'), '-e', script], { encoding: 'utf8', env }).trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no binary: our message names the platform package and keeps the loader error as the cause', () => {
  const result = loadWithout('');
  assert.equal(result.loaded, undefined);
  assert.match(result.message, /^mcp-auth-rs: the native binary for linux-x64-gnu did not load\. It comes in the optional dependency mcp-auth-rs-linux-x64-gnu@/);
  assert.match(result.cause, /Cannot find native binding/);
});

test('process.report and /usr/bin/ldd both throwing: still our message, never the helper\'s own throw', () => {
  const result = loadWithout(`
    const fs = require('node:fs');
    const read = fs.readFileSync;
    fs.readFileSync = function (path, ...rest) {
      if (path === '/usr/bin/ldd') throw Object.assign(new Error('Requires read access'), { name: 'NotCapable' });
      return read.call(this, path, ...rest);
    };
    process.report.getReport = () => { throw Object.assign(new Error('Requires sys access to "cpus"'), { name: 'NotCapable' }); };
  `);
  assert.equal(result.name, 'Error');
  assert.match(result.message, /^mcp-auth-rs: /);
  assert.doesNotMatch(result.message, /sys access/);
});

test('a runtime permission in the cause chain: the message names the flag', () => {
  const result = loadWithout(`
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (String(request).endsWith('.node')) throw new Error('Requires ffi access to "x.node", run again with the --allow-ffi flag');
      return load.call(this, request, ...rest);
    };
  `);
  assert.match(result.message, /^mcp-auth-rs: the runtime refused to load the native binary: run with --allow-ffi/);
});
