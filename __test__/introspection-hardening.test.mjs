// Introspection answers and tokens at their limits (issue 20, items 3, 8, 11),
// over real HTTP against a local RFC 7662 endpoint that counts its calls:
//   - an active answer with `exp: 1e300` is accepted and cached no longer than
//     `cacheMaxAge`: one endpoint call for two requests, no 500, no panic on stderr;
//   - the `accepted` event's tokenId never carries the token, even when the
//     endpoint's `jti` is the token itself;
//   - a token longer than 4096 characters shares one endpoint call and the cache.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import express from 'express';

import { MCPAuth } from 'mcp-auth-rs';
import { RESOURCE, startIntrospectionServer } from './helpers/introspection-server.mjs';
import { serveApp, send } from './helpers/app.mjs';

const CLIENT = { clientId: 'rs', clientSecret: 's3cret' };

async function protect(as, events = []) {
  const mcpAuth = new MCPAuth({
    protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } },
    onAuthEvent: (event) => events.push(event),
  });
  const app = await serveApp(express, (a) =>
    a.get('/mcp', mcpAuth.bearerAuth('introspection', { resource: RESOURCE, introspection: { ...CLIENT, timeout: 1000 } }), (req, res) =>
      res.json({ sub: req.auth.subject })),
  );
  return { call: (token) => send(app, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }), close: () => app.close() };
}

// The resource server in a child process whose stderr the test reads.
async function startChild(issuer) {
  const script = fileURLToPath(new URL('./helpers/introspection-resource.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, issuer], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const port = JSON.parse(line).port;
  return {
    call: (token) => send({ port }, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }),
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

describe('introspection answers and tokens at their limits', () => {
  let as;
  before(async () => {
    as = await startIntrospectionServer();
  });
  after(() => as?.close());

  it('exp: 1e300 is accepted, cached within cacheMaxAge (one call for two requests), never a 500 or a panic', async () => {
    const child = await startChild(as.issuer);
    try {
      as.state.calls = 0;
      as.state.answer = () => ({ body: `{"active":true,"iss":${JSON.stringify(as.issuer)},"aud":${JSON.stringify(RESOURCE)},"exp":1e300,"sub":"alice"}` });
      const first = await child.call('opaque-far-future');
      assert.equal(first.status, 200, first.body);
      const second = await child.call('opaque-far-future');
      assert.equal(second.status, 200, second.body);
      assert.equal(as.state.calls, 1, 'the second request is served from the cache');
      assert.doesNotMatch(child.stderr(), /panick/);
    } finally {
      await child.stop();
    }
  });

  it("the accepted event's tokenId never carries the token, even when the answer's jti is the token", async () => {
    const events = [];
    const rs = await protect(as, events);
    try {
      const token = `ref-${'k'.repeat(40)}`;
      as.state.answer = (presented) => ({ body: as.active({ jti: presented }) });
      const res = await rs.call(token);
      assert.equal(res.status, 200, res.body);
      const accepted = events.find((e) => e.type === 'accepted');
      assert.ok(accepted, 'an accepted event');
      assert.ok(!accepted.tokenId.includes(token), `tokenId ${accepted.tokenId} carries the token`);
      assert.match(accepted.tokenId, /^sha256:[0-9a-f]{16}$/);
      assert.ok(!JSON.stringify(events).includes(token));
    } finally {
      await rs.close();
    }
  });

  it('a 5000-character opaque token: two concurrent requests and a later one make one endpoint call', async () => {
    const rs = await protect(as);
    try {
      const token = `long-${'x'.repeat(4995)}`;
      assert.equal(token.length, 5000);
      as.state.calls = 0;
      as.state.answer = () => ({ body: as.active(), delay: 100 });
      const both = await Promise.all([rs.call(token), rs.call(token)]);
      for (const res of both) assert.equal(res.status, 200, res.body);
      const later = await rs.call(token);
      assert.equal(later.status, 200, later.body);
      assert.equal(as.state.calls, 1);
    } finally {
      await rs.close();
    }
  });
});
