#!/usr/bin/env node
// `npm run test:install`: installs the packed package into fresh projects the
// way users do, and runs an MCP server from them.
//
// 1. `npm pack` the package, and the platform package of the machine this
//    runs on (npm/<platform>/ staged in a temp folder with the built `.node`;
//    nothing is written into npm/).
// 2. In a temp folder, one project per Express major on SDK v1:
//      express 4 + zod 3 + TypeScript 5,   express 5 + zod 4 + TypeScript 7,
//    each with @modelcontextprotocol/sdk, and one on SDK v2 only (express 5,
//    @modelcontextprotocol/server + /node + /express, no v1; see
//    install-test-v2.mjs), installed with `npm install` from
//    the npm registry plus the two tarballs. npm would fetch the optional
//    dependency mcp-auth-rs-<platform>@<version> from the registry; the
//    tarball of the same name and version satisfies it, and the other
//    platforms' packages are skipped (not published yet: 404; published: wrong
//    os/cpu), as optional dependencies are.
// 3. Type-checks a user's server in ESM (.ts) and CommonJS (.cts) with that
//    project's tsc, including `extra.authInfo.subject` in a tool handler and
//    `req.auth` in an Express handler.
// 4. Runs an MCP server (McpServer + stateless StreamableHTTPServerTransport
//    + protectedResourceMetadataRouter + bearerAuth('jwt')) from ESM
//    (`import`) and from CommonJS (`require`), against a local authorization
//    server (RFC 8414 metadata + JWKS, tokens signed with node:crypto), and
//    checks over HTTP: metadata 200; no token 401 + challenge; forged token
//    401 invalid_token; missing scope 403; valid token 200 for initialize and
//    a tool call that sees the token's subject. The loaded `.node` must be the
//    one from node_modules/mcp-auth-rs-<platform>/.
//    The SDK v2 project's servers are also driven by the SDK v2 client: on
//    2026-07-28 with a bearer token (hierarchy, per-tool 403), and through its
//    OAuth provider against the embedded oidc-provider authorization server.
// 5. A project installed with --omit=optional must fail to load with an error
//    that names the missing platform package.
//
// Needs a build (`npm run build`): dist/ and mcp-auth-rs.<platform>.node at
// the root, or MCP_AUTH_RS_BINARY=<path to the .node>. Uses the npm registry.
// `--keep` (or INSTALL_TEST_KEEP=1) keeps the temp folder. Node built-ins only.

import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userModule } from './user-module.mjs';
import { exerciseV2WithBearer, exerciseV2WithOAuth, startEmbeddedAuthorizationServer, V2_PROJECT, v2ServerSource, v2TypedSource } from './install-test-v2.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const keep = process.argv.includes('--keep') || process.env.INSTALL_TEST_KEEP === '1';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binaryName = pkg.napi?.binaryName ?? pkg.name;
const nodeMajor = Number(process.versions.node.split('.')[0]);

const V1_VERSIONS = ['express', 'zod', 'typescript', '@modelcontextprotocol/sdk'];
const PROJECTS = [
  { name: 'express4', sdk: 'v1', deps: ['@modelcontextprotocol/sdk@1', 'express@4', '@types/express@4', 'zod@3', 'typescript@5'], versionsOf: V1_VERSIONS },
  { name: 'express5', sdk: 'v1', deps: ['@modelcontextprotocol/sdk@1', 'express@5', '@types/express@5', 'zod@4', 'typescript@7'], versionsOf: V1_VERSIONS },
  V2_PROJECT,
];
const COMMON_DEPS = [`@types/node@${nodeMajor}`];

// ---- helpers -----------------------------------------------------------------

const human = (bytes) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (message) => console.log(`[install-test ${seconds(started).padStart(7)}] ${message}`);
function check(condition, message) {
  if (!condition) throw new Error(`install-test: ${message}`);
}

// Runs a command to completion; throws with its output on failure.
function run(command, args, { cwd, env } = {}) {
  const windows = process.platform === 'win32';
  const quoted = windows ? args.map((a) => (/[\s"&|<>^]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)) : args;
  const result = spawnSync(command, quoted, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    shell: windows, // npm is npm.cmd there
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`install-test: \`${command} ${args.join(' ')}\` failed in ${cwd} (${result.status ?? result.signal})\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
const npm = (args, cwd) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd });

function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = process.report?.getReport?.();
    const glibc = Boolean(report?.header?.glibcVersionRuntime);
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

// ---- local authorization server: RFC 8414 metadata + JWKS, RS256 tokens --------

// Generated encoded and imported again: on Node 20, exporting a key object that
// still shares data with its generator job can deadlock when GC finalizes the job.
function newRsaKey() {
  const der = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  }).privateKey;
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function startAuthServer() {
  const privateKey = newRsaKey();
  const publicKey = createPublicKey(privateKey);
  const forger = newRsaKey();
  const kid = 'install-test';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    const issuer = `http://127.0.0.1:${server.address().port}`;
    const body =
      req.url === '/.well-known/oauth-authorization-server'
        ? {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            grant_types_supported: ['authorization_code'],
            code_challenge_methods_supported: ['S256'],
          }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : null;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not_found' }));
  });
  return new Promise((resolveStart) =>
    server.listen(0, '127.0.0.1', () => {
      const issuer = `http://127.0.0.1:${server.address().port}`;
      const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = ({ audience, scope = 'whoami', key = privateKey }) => {
        const now = Math.floor(Date.now() / 1000);
        const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid })}.${b64({
          iss: issuer, sub: 'install-test-user', aud: audience, exp: now + 300, iat: now,
          jti: randomUUID(), client_id: 'install-test-client', scope,
        })}`;
        return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
      };
      resolveStart({ issuer, token, forger, close: () => server.close() });
    }),
  );
}

// ---- the user's files ------------------------------------------------------------

// One server, written once for `import` and once for `require`. It listens
// first, so the resource URL can carry the port, then mounts the routes.
function serverSource(kind) {
  const imports = {
    esm: `import { once } from 'node:events';
import { createRequire } from 'node:module';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
const loadedModules = createRequire(import.meta.url).cache;`,
    cjs: `const { once } = require('node:events');
const express = require('express');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { z } = require('zod');
const { MCPAuth, fetchServerConfig } = require('mcp-auth-rs');
const loadedModules = require.cache;`,
  };
  const body = `
  const app = express();
  const listener = app.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = listener.address().port;
  const resource = \`http://127.0.0.1:\${port}/mcp\`;
  const mcpAuth = new MCPAuth({
    protectedResources: {
      metadata: {
        resource,
        authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oauth' })],
        scopesSupported: ['whoami'],
      },
    },
  });
  app.use(mcpAuth.protectedResourceMetadataRouter());
  app.post('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource, requiredScopes: ['whoami'] }), async (req, res) => {
    const server = new McpServer({ name: 'install-test-${kind}', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who is calling', inputSchema: { greeting: z.string() } }, async ({ greeting }, extra) => ({
      content: [{ type: 'text', text: JSON.stringify({ greeting, subject: extra.authInfo?.subject, scopes: extra.authInfo?.scopes, requestSubject: req.auth?.subject }) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const binding = Object.keys(loadedModules).find((path) => path.endsWith('.node'));
  console.log(JSON.stringify({ port, resource, binding }));
`;
  return userModule(kind, imports, body);
}

// The same server as a TypeScript user writes it, type-checked only. The
// @ts-expect-error lines fail the check if the augmented fields are `any`.
function typedSource(kind) {
  const esm = kind === 'esm';
  return `import express, { type Request, type Response } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { z } from 'zod';
import { MCPAuth, MCPAuthBearerAuthError, fetchServerConfig, type AuthEvent } from 'mcp-auth-rs';
import { Verifier } from 'mcp-auth-rs/native';

// The addon's own API, as \`mcp-auth-rs/native\` exports it.
${esm ? '' : 'export '}const verifyWith = (verifier: Verifier, token: string) => verifier.verify(token);

function ownerOf(authInfo?: AuthInfo): string {
  if (!authInfo?.subject) throw new MCPAuthBearerAuthError('missing_required_scopes');
  return authInfo.subject;
}

${esm ? '' : 'export '}async function main(): Promise<void> {
  const resource = 'http://127.0.0.1:3001/mcp';
  const mcpAuth = new MCPAuth({
    protectedResources: {
      metadata: {
        resource,
        authorizationServers: [await fetchServerConfig('http://127.0.0.1:3000', { type: 'oauth' })],
        scopesSupported: ['whoami'],
      },
    },
    onAuthEvent: (event: AuthEvent) => void event.type,
  });
  const app = express();
  app.use(mcpAuth.protectedResourceMetadataRouter());
  app.post('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource, requiredScopes: ['whoami'] }), async (req: Request, res: Response) => {
    const fromRequest: string | undefined = req.auth?.subject;
    // @ts-expect-error req.auth.subject is string | undefined, not a number
    const requestNotANumber: number | undefined = req.auth?.subject;
    const server = new McpServer({ name: 'typed', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who is calling', inputSchema: { greeting: z.string() } }, async ({ greeting }, extra) => {
      const subject: string | undefined = extra.authInfo?.subject;
      const issuer: string | undefined = extra.authInfo?.issuer;
      const scopes: string[] | undefined = extra.authInfo?.scopes;
      // @ts-expect-error extra.authInfo.subject is string | undefined, not a number
      const notANumber: number | undefined = extra.authInfo?.subject;
      const text = JSON.stringify({ greeting, owner: ownerOf(extra.authInfo), subject, issuer, scopes, fromRequest, notANumber, requestNotANumber });
      return { content: [{ type: 'text' as const, text }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.listen(3001);
}
${esm ? 'await main();\n' : ''}`;
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    // Declarations are checked too, so errors in ours surface; errors in
    // other packages' declarations are reported but do not fail the test.
    skipLibCheck: false,
    types: ['node'],
  },
};

// ---- HTTP checks ----------------------------------------------------------------------

// A JSON-RPC answer as JSON (v1 here: enableJsonResponse) or as one SSE `message` event (v2).
function rpcMessage(body) {
  const data = body.startsWith('event:') ? body.split('\n').find((line) => line.startsWith('data: '))?.slice(6) : body;
  return JSON.parse(data ?? 'null');
}

async function exercise(server, auth, { scopedRoute = true } = {}) {
  const { port, resource } = server;
  const base = `http://127.0.0.1:${port}`;
  const mcp = (body, token) =>
    fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
  const initialize = {
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'install-test', version: '1.0.0' } },
  };

  const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
  const metadata = await fetch(metadataUrl);
  check(metadata.status === 200, `GET ${metadataUrl}: ${metadata.status}`);
  const doc = await metadata.json();
  check(doc.resource === resource && doc.authorization_servers?.includes(auth.issuer), `metadata document: ${JSON.stringify(doc)}`);

  const anonymous = await mcp(initialize);
  const challenge = anonymous.headers.get('www-authenticate') ?? '';
  check(anonymous.status === 401, `no token: expected 401, got ${anonymous.status}`);
  check(challenge.startsWith('Bearer ') && challenge.includes(`resource_metadata="${metadataUrl}"`), `no token: challenge ${challenge}`);

  const forged = await mcp(initialize, auth.token({ audience: resource, key: auth.forger }));
  check(forged.status === 401 && /error="invalid_token"/.test(forged.headers.get('www-authenticate') ?? ''), `forged token: ${forged.status} ${forged.headers.get('www-authenticate')}`);

  // SDK v1 servers here require the scope on the route; the v2 server on the tool (scopeChallenge).
  const whoamiCall = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: { greeting: 'hi' } } };
  const unscoped = await mcp(scopedRoute ? initialize : whoamiCall, auth.token({ audience: resource, scope: 'other' }));
  check(unscoped.status === 403 && /error="insufficient_scope"/.test(unscoped.headers.get('www-authenticate') ?? ''), `token without the scope: ${unscoped.status} ${unscoped.headers.get('www-authenticate')}`);

  const token = auth.token({ audience: resource });
  const init = await mcp(initialize, token);
  const initBody = await init.text();
  check(init.status === 200, `valid token, initialize: ${init.status} ${initBody}`);
  check(rpcMessage(initBody).result?.serverInfo?.name?.startsWith('install-test-'), `initialize result: ${initBody}`);

  const call = await mcp(whoamiCall, token);
  const callBody = await call.text();
  check(call.status === 200, `valid token, tools/call: ${call.status} ${callBody}`);
  const result = JSON.parse(rpcMessage(callBody).result?.content?.[0]?.text ?? 'null');
  check(
    result?.subject === 'install-test-user' && result.requestSubject === 'install-test-user' && result.scopes?.includes('whoami') && result.greeting === 'hi',
    `tools/call result: ${callBody}`,
  );
}

function startServer(cwd, file, issuer, issuerType = 'oauth') {
  const env = { ...process.env, ISSUER: issuer, ISSUER_TYPE: issuerType };
  const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`install-test: ${file} did not start within 30 s\n${stderr}`)), 30000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolveReady(JSON.parse(line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`install-test: ${file} exited (${code})\n${stderr}`));
    });
  });
  return { child, ready, stderr: () => stderr };
}

// ---- main ---------------------------------------------------------------------------------

const suffix = platformSuffix();
const platformPackage = `${pkg.name}-${suffix}`;
const nodeFile = `${binaryName}.${suffix}.node`;
const binary = resolve(process.env.MCP_AUTH_RS_BINARY ?? join(root, nodeFile));
check(pkg.optionalDependencies?.[platformPackage] === pkg.version, `${platformPackage}@${pkg.version} is not an optional dependency of ${pkg.name}: is ${suffix} a target?`);
check(existsSync(join(root, 'npm', suffix, 'package.json')), `npm/${suffix}/package.json is missing`);
check(existsSync(binary), `${binary} is missing: run \`npm run build\` first (or set MCP_AUTH_RS_BINARY)`);
check(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-install-'));
let auth;
const children = new Set();
try {
  log(`Node ${process.version}, ${suffix}, temp folder ${work}`);

  // 1. Tarballs.
  const packJson = (cwd) => JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], cwd))[0];
  const mainPack = packJson(root);
  const staged = join(work, 'stage', suffix);
  mkdirSync(staged, { recursive: true });
  for (const file of ['package.json', 'README.md']) cpSync(join(root, 'npm', suffix, file), join(staged, file));
  cpSync(binary, join(staged, nodeFile));
  const platformPack = packJson(staged);
  const mainTarball = join(work, mainPack.filename);
  const platformTarball = join(work, platformPack.filename);
  check(!mainPack.files.some((f) => f.path.endsWith('.node')), `${mainPack.filename} contains a .node file`);
  check(platformPack.files.some((f) => f.path === nodeFile), `${platformPack.filename} lacks ${nodeFile}`);
  log(`packed ${mainPack.filename} (${human(mainPack.size)}, ${mainPack.entryCount} files) and ${platformPack.filename} (${human(platformPack.size)}; ${nodeFile} ${human(statSync(binary).size)})`);

  auth = await startAuthServer();

  for (const project of PROJECTS) {
    const dir = join(work, project.name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `install-test-${project.name}`, private: true, type: 'module' }, null, 2));

    // 2. Install.
    const installStart = Date.now();
    npm(['install', mainTarball, platformTarball, ...COMMON_DEPS, ...project.deps], dir);
    const modules = join(dir, 'node_modules');
    const installed = readdirSync(modules).filter((name) => name.startsWith(`${pkg.name}`));
    check(
      JSON.stringify(installed.sort()) === JSON.stringify([pkg.name, platformPackage].sort()),
      `${project.name}: expected ${pkg.name} and ${platformPackage} in node_modules, found ${installed.join(', ')}`,
    );
    check(!readdirSync(join(modules, pkg.name)).some((f) => f.endsWith('.node')), `${project.name}: ${pkg.name} was installed with a .node file`);
    const versions = Object.fromEntries(
      project.versionsOf.map((name) => [name, JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version]),
    );
    log(`${project.name}: npm install ${seconds(installStart)} (${Object.entries(versions).map(([n, v]) => `${n} ${v}`).join(', ')})`);

    // 3. Type-check.
    const v2 = project.sdk === 'v2';
    check(existsSync(join(modules, '@modelcontextprotocol', 'sdk')) === !v2, `${project.name}: SDK v1 ${v2 ? 'is' : 'is not'} installed`);
    writeFileSync(join(dir, 'user.ts'), v2 ? v2TypedSource() : typedSource('esm'));
    writeFileSync(join(dir, 'user-cjs.cts'), v2 ? v2TypedSource() : typedSource('cjs'));
    // One program per module kind: a program holding both would merge the
    // ESM and CommonJS declarations' augmentations and hide a gap in either.
    const tscStart = Date.now();
    for (const [config, file] of [['tsconfig.esm.json', 'user.ts'], ['tsconfig.cjs.json', 'user-cjs.cts']]) {
      writeFileSync(join(dir, config), JSON.stringify({ ...TSCONFIG, files: [file] }, null, 2));
      const tsc = spawnSync(process.execPath, [join(modules, 'typescript', 'bin', 'tsc'), '-p', config, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
      const diagnostics = `${tsc.stdout}${tsc.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
      const ours = diagnostics.filter((line) => !line.startsWith('node_modules') || line.startsWith(`node_modules/${pkg.name}/`) || line.startsWith(`node_modules\\${pkg.name}\\`));
      const theirs = diagnostics.filter((line) => !ours.includes(line));
      for (const line of theirs) log(`${project.name}: note, error in a dependency's declarations (skipLibCheck: false): ${line}`);
      check(ours.length === 0 && (tsc.status === 0 || theirs.length > 0), `${project.name}: tsc -p ${config} failed (${tsc.status}):\n${ours.join('\n') || tsc.stdout + tsc.stderr}`);
    }
    log(`${project.name}: tsc ${versions.typescript} --noEmit on user.ts (ESM) and user-cjs.cts (CommonJS) passed in ${seconds(tscStart)}`);

    // 4. Run the server from ESM and from CommonJS.
    writeFileSync(join(dir, 'server.mjs'), v2 ? v2ServerSource('esm') : serverSource('esm'));
    writeFileSync(join(dir, 'server.cjs'), v2 ? v2ServerSource('cjs') : serverSource('cjs'));
    for (const file of ['server.mjs', 'server.cjs']) {
      const runStart = Date.now();
      const server = startServer(dir, file, auth.issuer);
      children.add(server.child);
      const info = await server.ready;
      const expectedBinding = join(modules, platformPackage, nodeFile);
      // Compared as real paths: the temp folder may sit behind a symlink
      // (macOS /var) or a short name (Windows), require.cache holds real paths.
      const loadedBinding = info.binding && realpathSync.native(info.binding);
      check(loadedBinding === realpathSync.native(expectedBinding), `${project.name}/${file}: loaded ${info.binding}, expected ${expectedBinding}`);
      try {
        await exercise(info, auth, { scopedRoute: !v2 });
        if (v2) await exerciseV2WithBearer(info, auth, check);
      } catch (error) {
        error.message += `\nserver stderr:\n${server.stderr()}`;
        throw error;
      }
      server.child.kill();
      children.delete(server.child);
      log(`${project.name}: ${file} served metadata, 401 challenge, 401 forged, 403 scope, 200 initialize + tools/call${v2 ? ', v2 client on 2026-07-28 (bearer, hierarchy, per-tool 403)' : ''} (binding ${relative(dir, info.binding).split(sep).join('/')}) in ${seconds(runStart)}`);
    }
    if (v2) {
      // The v2 client's own OAuth flow against the embedded oidc-provider authorization server.
      const embedded = await startEmbeddedAuthorizationServer();
      try {
        for (const file of ['server.mjs', 'server.cjs']) {
          const runStart = Date.now();
          const server = startServer(dir, file, embedded.issuer, 'oidc');
          children.add(server.child);
          try {
            await exerciseV2WithOAuth(await server.ready, embedded, check);
          } catch (error) {
            error.message += `\nserver stderr:\n${server.stderr()}`;
            throw error;
          }
          server.child.kill();
          children.delete(server.child);
          log(`${project.name}: ${file} signed in with the v2 client's OAuth provider (oidc-provider, PKCE) and called whoami in ${seconds(runStart)}`);
        }
      } finally {
        await embedded.close();
      }
    }
  }

  // 5. Without the platform package, loading fails and says which package is missing.
  const missing = join(work, 'missing-binary');
  mkdirSync(missing);
  writeFileSync(join(missing, 'package.json'), JSON.stringify({ name: 'install-test-missing-binary', private: true }, null, 2));
  npm(['install', '--omit=optional', mainTarball], missing);
  check(!existsSync(join(missing, 'node_modules', platformPackage)), `--omit=optional still installed ${platformPackage}`);
  const probe = spawnSync(
    process.execPath,
    ['-e', "try { require('mcp-auth-rs'); console.log('LOADED') } catch (e) { const m = []; for (let c = e; c; c = c.cause) m.push(String(c.message).split('\\n')[0]); console.log(JSON.stringify(m)) }"],
    { cwd: missing, encoding: 'utf8' },
  );
  const chain = probe.stdout.trim() === 'LOADED' ? null : JSON.parse(probe.stdout);
  check(chain !== null, 'mcp-auth-rs loaded without its platform package');
  check(chain.some((m) => m.includes(platformPackage)), `the load error does not name ${platformPackage}: ${JSON.stringify(chain)}`);
  log(`without ${platformPackage}: require('mcp-auth-rs') throws "${chain[0].slice(0, 90)}…", whose cause chain names ${platformPackage}`);

  log(`PASS: ${PROJECTS.map((p) => p.name).join(', ')} (ESM + CommonJS, tsc), missing-binary error; ${mainPack.filename} ${human(mainPack.size)}, ${nodeFile} ${human(statSync(binary).size)}; total ${seconds(started)}`);
} finally {
  for (const child of children) child.kill();
  auth?.close();
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  log(keep ? 'done' : 'removed the temp folder; done');
}
