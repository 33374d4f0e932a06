#!/usr/bin/env node
// `npm run test:runtimes`: the web-standard wire test (__test__/runtimes/
// wire.mjs) under Bun and Deno, with Node as the control, plus loading the
// addon on Deno without --allow-ffi (the error must name the flag).
//
// Bun and Deno come from npm (packages `bun` and `deno`, whose platform
// binaries are optional dependencies, ~50 MB and ~42 MB to download, ~100 MB
// each unpacked), installed once into a cache folder rather than as
// devDependencies every install would pay for. Install scripts are skipped:
// the binaries are run straight from the platform packages.
//
// MCP_AUTH_RS_RUNTIMES_CACHE overrides the cache folder. Needs a build
// (`npm run build`).

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { claims, generateKey, signJwt } from '../__test__/helpers/keys.mjs';

const RUNTIMES = { bun: '1.4.5', deno: '2.9.6' };
const root = fileURLToPath(new URL('..', import.meta.url));
const cache = process.env.MCP_AUTH_RS_RUNTIMES_CACHE ?? join(root, 'node_modules', '.cache', 'mcp-auth-rs-runtimes');
const wire = join(root, '__test__', 'runtimes', 'wire.mjs');
// Deno: the addon needs --allow-ffi; reading the package, the environment and 127.0.0.1 the rest.
const DENO_FLAGS = ['--allow-ffi', '--allow-read', '--allow-env', '--allow-net=127.0.0.1'];

function installRuntimes() {
  const manifest = join(cache, 'package.json');
  const wanted = JSON.stringify({ private: true, dependencies: Object.fromEntries(Object.entries(RUNTIMES).map(([n, v]) => [n, v])) }, null, 2);
  if (existsSync(manifest) && readFileSync(manifest, 'utf8') === wanted && binaries()) return binaries();
  mkdirSync(cache, { recursive: true });
  writeFileSync(manifest, wanted);
  console.log(`installing ${Object.entries(RUNTIMES).map(([n, v]) => `${n}@${v}`).join(', ')} into ${cache}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--include=optional'], { cwd: cache, stdio: 'inherit' });
  return binaries() ?? fail(`no bun/deno binary for ${process.platform}-${process.arch} in ${cache}`);
}

// The binary inside the platform package npm picked (@oven/bun-<platform>, @deno/<platform>).
function binaries() {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const find = (scope, relative) => {
    const dir = join(cache, 'node_modules', scope);
    if (!existsSync(dir)) return undefined;
    return readdirSync(dir).map((pkg) => join(dir, pkg, relative)).find((path) => existsSync(path));
  };
  const bun = find('@oven', join('bin', `bun${exe}`));
  const deno = find('@deno', `deno${exe}`);
  return bun && deno ? { bun, deno } : undefined;
}

function fail(message) {
  console.error(`test:runtimes: ${message}`);
  process.exit(1);
}

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function closedPort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const { bun, deno } = installRuntimes();
const versions = {
  bun: execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim(),
  deno: execFileSync(deno, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim(),
};

const key = generateKey('ES256', { kid: 'runtimes' });
const as = await startAuthServer({ keys: [key] });
const down = `http://127.0.0.1:${await closedPort()}`;
const resource = 'https://mcp.example.com/mcp';
const downResource = 'https://mcp.example.com/down';
const token = (extra) => signJwt(claims({ issuer: as.issuer, audience: resource, scope: 'mcp:read', sub: 'runtime-user', ...extra }), key);
const config = {
  issuer: as.issuer,
  resource,
  downResource,
  downServer: {
    type: 'oauth',
    metadata: { issuer: down, authorizationEndpoint: `${down}/authorize`, tokenEndpoint: `${down}/token`, jwksUri: `${down}/jwks`, responseTypesSupported: ['code'] },
  },
  tokens: {
    read: token(),
    expired: token({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 }),
    down: signJwt(claims({ issuer: down, audience: downResource, sub: 'runtime-user' }), key),
  },
};
const env = { MCP_AUTH_RS_WIRE: JSON.stringify(config) };

const runs = [
  ['node (control)', process.execPath, [wire]],
  [`bun ${versions.bun}`, bun, [wire]],
  [versions.deno, deno, ['run', ...DENO_FLAGS, wire]],
];
let failed = false;
try {
  for (const [label, command, args] of runs) {
    const { code, stdout, stderr } = await run(command, args, env);
    const line = stdout.trim().split('\n').at(-1) ?? '';
    let result;
    try {
      result = JSON.parse(line);
    } catch {
      result = undefined;
    }
    const passed = code === 0 && result?.checks?.length > 0;
    failed ||= !passed;
    console.log(`${passed ? 'ok' : 'FAIL'} ${label}: ${result ? result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}`).join('; ') : 'no result'}`);
    if (!passed) console.log(result ? JSON.stringify(result.checks.filter((c) => !c.ok)) : `exit ${code}\n${stderr.slice(-2000)}`);
  }

  // Deno without --allow-ffi (and without --allow-sys): our message, naming the flag.
  const denied = await run(deno, ['run', '--allow-read', '--allow-env', join(root, '__test__', 'runtimes', 'load.mjs')], {});
  let error = {};
  try {
    error = JSON.parse(denied.stdout.trim().split('\n').at(-1));
  } catch {
    error = { message: `no result: ${denied.stderr.slice(-1000)}` };
  }
  const named = /^mcp-auth-rs: .*run with --allow-ffi/.test(error.message ?? '');
  failed ||= !named;
  console.log(`${named ? 'ok' : 'FAIL'} ${versions.deno} without --allow-ffi: ${error.name}: ${error.message ?? denied.stdout + denied.stderr}`);
} finally {
  await as.close();
}
process.exit(failed ? 1 : 0);
