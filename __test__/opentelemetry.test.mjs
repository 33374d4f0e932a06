// mcp-auth-rs/opentelemetry over real HTTP (Express here; the events are the
// same under every adapter): metrics read with the SDK's in-memory metric
// exporter, spans with its in-memory span exporter and the async-hooks
// context manager, as an HTTP instrumentation would set them up; and the
// Prometheus example of docs/observability.md, scraped.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { MCPAuth, MCPAuthBearerAuthError, MCPAuthTokenVerificationError, fetchServerConfig } from 'mcp-auth-rs';
import { instrument } from 'mcp-auth-rs/opentelemetry';
import { startAuthServer } from './helpers/auth-server.mjs';
import { serveApp, send } from './helpers/app.mjs';
import { startExample, freePort } from './helpers/examples.mjs';
import { claims, generateKey, signJwt } from './helpers/keys.mjs';

const RESOURCE = 'https://mcp.example.com/mcp';
const DOWN = 'https://mcp.example.com/down';
const SUB = 'sub-marker-otel-4d2e';
const CLIENT = 'client-marker-otel-9b1c';

const key = generateKey('ES256', { kid: 'otel' });
const spans = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('http-server');

let as;
let downAs;
before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  as = await startAuthServer({ keys: [key] });
  downAs = await startAuthServer({ keys: [key], faults: { '/jwks': 'down' } });
});
after(async () => {
  await as?.close();
  await downAs?.close();
  context.disable();
});

const token = (extra = {}, issuer = as.issuer) =>
  signJwt(claims({ issuer, audience: RESOURCE, scope: 'mcp:read', sub: SUB, client_id: CLIENT, ...extra }), key);

/** An app whose first middleware makes a server span active, as HTTP instrumentation does. */
async function instrumentedApp(options) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const mcpAuth = new MCPAuth({
    protectedResources: [
      { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })], scopesSupported: ['mcp:read', 'mcp:write'] } },
      { metadata: { resource: DOWN, authorizationServers: [await fetchServerConfig(downAs.issuer, { type: 'oauth' })] } },
    ],
  });
  instrument(mcpAuth, { meterProvider: new MeterProvider({ readers: [reader] }), ...options });
  const server = await serveApp(express, (app) => {
    app.use((req, res, next) => tracer.startActiveSpan(`${req.method} ${req.path}`, (span) => (res.on('finish', () => span.end()), next())));
    app.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (req, res) => res.json({ ok: true }));
    app.get('/write', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, requiredScopes: ['mcp:write'] }), (req, res) => res.json({ ok: true }));
    app.get('/down', mcpAuth.bearerAuth('jwt', { resource: DOWN }), (req, res) => res.json({ ok: true }));
  });
  const metrics = async () => {
    await reader.forceFlush();
    const latest = exporter.getMetrics().at(-1);
    return Object.fromEntries(latest.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric.dataPoints]));
  };
  return { mcpAuth, server, metrics };
}

const get = (server, path, bearer) => send(server, { path, headers: bearer ? [['Authorization', `Bearer ${bearer}`]] : [] });
const count = (points, attributes) =>
  points.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).reduce((sum, p) => sum + (p.value.count ?? p.value), 0);

describe('instrument(): metrics and spans', () => {
  let app;
  const tokens = [];
  before(async () => {
    spans.reset();
    app = await instrumentedApp();
    const valid = token();
    const expired = token({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 });
    const down = token({ aud: DOWN }, downAs.issuer);
    tokens.push(valid, expired, down);
    assert.equal((await get(app.server, '/mcp')).status, 401);
    assert.equal((await get(app.server, '/mcp', valid)).status, 200);
    assert.equal((await get(app.server, '/mcp', valid)).status, 200);
    assert.equal((await get(app.server, '/mcp', expired)).status, 401);
    assert.equal((await get(app.server, '/write', valid)).status, 403);
    assert.equal((await get(app.server, '/down', down)).status, 503);
  });
  after(() => app?.server.close());

  it('counts decisions by outcome, reason, status and resource', async () => {
    const decisions = (await app.metrics())['mcp_auth.decisions'];
    const of = { 'mcp_auth.resource': RESOURCE };
    assert.equal(count(decisions, { ...of, 'mcp_auth.outcome': 'accepted', 'mcp_auth.reason': 'ok', 'http.response.status_code': 200 }), 2);
    assert.equal(count(decisions, { ...of, 'mcp_auth.outcome': 'rejected', 'mcp_auth.reason': 'missing_authorization', 'http.response.status_code': 401 }), 1);
    assert.equal(count(decisions, { ...of, 'mcp_auth.reason': 'expired', 'http.response.status_code': 401 }), 1);
    assert.equal(count(decisions, { ...of, 'mcp_auth.reason': 'insufficient_scope', 'http.response.status_code': 403 }), 1);
    assert.equal(count(decisions, { 'mcp_auth.resource': DOWN, 'mcp_auth.outcome': 'rejected', 'http.response.status_code': 503 }), 1);
    assert.equal(count(decisions, {}), 6);
  });

  it('records verification time per verified token, valid or not', async () => {
    const durations = (await app.metrics())['mcp_auth.verification.duration'];
    // Three valid verifications (two on /mcp, one before the scope check), the expired one and the outage.
    assert.equal(count(durations, { 'mcp_auth.resource': RESOURCE, 'mcp_auth.valid': true }), 3);
    assert.equal(count(durations, { 'mcp_auth.resource': RESOURCE, 'mcp_auth.valid': false }), 1);
    assert.equal(count(durations, { 'mcp_auth.resource': DOWN, 'mcp_auth.valid': false }), 1);
    for (const point of durations) assert.ok(point.value.min >= 0 && point.value.max < 30, `seconds: ${point.value.max}`);
  });

  it('counts key-set refreshes and outages by issuer', async () => {
    let metrics;
    // Key-set events come from the addon's threads: they may trail the responses.
    for (let waited = 0; waited < 2000; waited += 50) {
      metrics = await app.metrics();
      if (metrics['mcp_auth.jwks.outages']?.length && metrics['mcp_auth.jwks.refreshes']?.length) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(count(metrics['mcp_auth.jwks.refreshes'], { 'mcp_auth.issuer': as.issuer }) >= 1);
    assert.ok(count(metrics['mcp_auth.jwks.outages'], { 'mcp_auth.issuer': downAs.issuer }) >= 1);
  });

  it('annotates the active request span; no enduser.id unless asked for', () => {
    const finished = spans.getFinishedSpans();
    assert.equal(finished.length, 6);
    const accepted = finished.filter((span) => span.attributes['mcp_auth.outcome'] === 'accepted');
    assert.equal(accepted.length, 2);
    for (const span of accepted) {
      assert.equal(span.attributes['enduser.id'], undefined);
      assert.deepEqual(span.events.map((event) => event.name), ['mcp_auth.decision']);
      assert.equal(span.events[0].attributes['mcp_auth.status'], 200);
    }
    const forbidden = finished.find((span) => span.name === 'GET /write');
    assert.equal(forbidden.attributes['mcp_auth.reason'], 'insufficient_scope');
    assert.equal(forbidden.events[0].attributes['mcp_auth.status'], 403);
  });

  it('never the token, its id or a claim value', async () => {
    const recorded = JSON.stringify([await app.metrics(), spans.getFinishedSpans().map((s) => [s.attributes, s.events])]);
    for (const secret of [SUB, CLIENT, ...tokens.flatMap((t) => t.split('.'))]) assert.ok(!recorded.includes(secret), `recorded ${secret.slice(0, 12)}…`);
    assert.ok(!/"jti|sha256:/.test(recorded));
  });
});

describe('instrument(): options and order', () => {
  it('recordEnduserId puts the subject on the request span', async () => {
    spans.reset();
    const app = await instrumentedApp({ recordEnduserId: true });
    try {
      assert.equal((await get(app.server, '/mcp', token())).status, 200);
      assert.equal(spans.getFinishedSpans()[0].attributes['enduser.id'], SUB);
    } finally {
      await app.server.close();
    }
  });

  it('instrumenting after a middleware was created is refused (it would never report)', async () => {
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oauth' })] } } });
    mcpAuth.bearerAuth('jwt', { resource: RESOURCE });
    assert.throws(() => instrument(mcpAuth), (error) => error.code === 'invalid_server_config' && /before creating bearerAuth/.test(error.cause.cause));
  });
});

// Issue 20 item 9: label values come from a fixed vocabulary, so neither a
// key-set server nor a custom verifier can add one series per value it chooses.
describe('instrument(): fixed label values', () => {
  async function labelledApp(mount, authorizationServers) {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers } } });
    instrument(mcpAuth, { meterProvider: new MeterProvider({ readers: [reader] }) });
    const server = await serveApp(express, (app) => {
      app.use((req, res, next) => tracer.startActiveSpan(`${req.method} ${req.path}`, (span) => (res.on('finish', () => span.end()), next())));
      mount(app, mcpAuth);
    });
    const metrics = async () => {
      await reader.forceFlush();
      const latest = exporter.getMetrics().at(-1);
      return Object.fromEntries(latest.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric.dataPoints]));
    };
    return { server, metrics };
  }

  it('a key-set server answering with many Content-Types yields one outage series', async () => {
    const jwksAs = await startAuthServer({ keys: [key] });
    const app = await labelledApp(
      // No cooldown: every request tries the key set again.
      (router, mcpAuth) => router.get('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, remoteJwkSet: { cooldownDuration: 0 } }), (req, res) => res.json({})),
      [await fetchServerConfig(jwksAs.issuer, { type: 'oauth' })],
    );
    try {
      const bearer = token({}, jwksAs.issuer);
      for (let i = 0; i < 6; i++) {
        jwksAs.setFault('/jwks', { body: '{"keys":[]}', contentType: `text/x-chosen-by-server-${i}` });
        assert.equal((await get(app.server, '/mcp', bearer)).status, 503);
      }
      let outages = [];
      for (let waited = 0; waited < 3000 && count(outages, {}) < 6; waited += 50) {
        outages = (await app.metrics())['mcp_auth.jwks.outages'] ?? [];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(count(outages, {}), 6);
      assert.deepEqual(outages.map((point) => point.attributes), [{ 'mcp_auth.issuer': jwksAs.issuer, 'mcp_auth.reason': 'content_type' }]);
    } finally {
      await app.server.close();
      await jwksAs.close();
    }
  });

  it('a custom verifier throwing errors with random codes adds no series per code', async () => {
    spans.reset();
    const random = () => `code_${Math.random().toString(36).slice(2)}`;
    const throwers = {
      // A coded error shaped like the addon's: a 500.
      '/coded': () => {
        throw Object.assign(new Error('boom'), { code: random(), reason: 'anything' });
      },
      '/bearer': () => {
        throw new MCPAuthBearerAuthError(random());
      },
      '/verification': () => {
        throw new MCPAuthTokenVerificationError(random());
      },
    };
    const app = await labelledApp((router, mcpAuth) => {
      for (const [path, verify] of Object.entries(throwers)) {
        router.get(path, mcpAuth.bearerAuth(verify, { resource: RESOURCE }), (req, res) => res.json({}));
      }
    }, [{ issuer: as.issuer, type: 'oauth' }]);
    try {
      for (let i = 0; i < 4; i++) {
        for (const path of Object.keys(throwers)) assert.notEqual((await get(app.server, path, token())).status, 200);
      }
      const decisions = (await app.metrics())['mcp_auth.decisions'];
      assert.equal(count(decisions, {}), 12);
      assert.deepEqual([...new Set(decisions.map((point) => point.attributes['mcp_auth.reason']))], ['other']);
      // One series per status (500 for the coded error, 401 for the two MCPAuth classes), not one per code.
      assert.equal(decisions.length, 2);
      const spanReasons = spans.getFinishedSpans().map((span) => span.attributes['mcp_auth.reason']);
      assert.deepEqual([...new Set(spanReasons)], ['other']);
    } finally {
      await app.server.close();
    }
  });
});

describe('docs/observability.md: Prometheus wiring (examples/adapters/opentelemetry.mjs)', () => {
  it('scrapes decision counts and verification time', async () => {
    const metricsPort = await freePort();
    const server = await startExample('opentelemetry.mjs', { ISSUER: as.issuer, METRICS_PORT: String(metricsPort) });
    try {
      const bearer = signJwt(claims({ issuer: as.issuer, audience: server.resource, sub: SUB }), key);
      assert.equal((await fetch(server.resource)).status, 401);
      assert.equal((await fetch(server.resource, { headers: { authorization: `Bearer ${bearer}` } })).status, 200);
      const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(scraped, /^mcp_auth_decisions_total\{[^}]*mcp_auth_outcome="accepted"[^}]*\} 1/m);
      assert.match(scraped, /^mcp_auth_decisions_total\{[^}]*mcp_auth_reason="missing_authorization"[^}]*\} 1/m);
      assert.match(scraped, /^mcp_auth_verification_duration_count\{[^}]*mcp_auth_valid="true"[^}]*\} 1/m);
      assert.match(scraped, /^mcp_auth_verification_duration_bucket\{[^}]*le="0.001"[^}]*\} [01]$/m);
      assert.ok(!scraped.includes(SUB) && !scraped.includes(bearer.split('.')[2]));
    } finally {
      await server.stop();
    }
  });
});
