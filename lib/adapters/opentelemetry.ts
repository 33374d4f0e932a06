// OpenTelemetry instrumentation (`mcp-auth-rs/opentelemetry`): turns auth
// events into metrics and into attributes and an event on the active request
// span. `@opentelemetry/api` is an optional peer, loaded only with this entry.
//
// Only fixed codes are recorded (outcome, reason, status, resource, issuer):
// never the token, its id or a claim value, except `enduser.id` (the `sub`)
// when asked for. Reasons come from a fixed vocabulary (unknown ones are
// `other`), and resource and issuer from the configuration, so a client or a
// key-set server cannot add series.

/**
 * `mcp-auth-rs/opentelemetry`: auth events as OpenTelemetry metrics and
 * request-span attributes (`@opentelemetry/api` is an optional peer).
 * @module mcp-auth-rs/opentelemetry
 */
import { metrics, trace, type Attributes, type MeterProvider } from '@opentelemetry/api';
import type { AuthEvent } from '../events.js';
import type { MCPAuth } from '../mcp-auth.js';
import { assertKnownKeys, keysOf } from '../option-keys.js';
import { fixedReason } from '../reason-codes.js';

export interface InstrumentOptions {
  /** Where the metrics go; the global meter provider by default. */
  meterProvider?: MeterProvider;
  /** Record the token's `sub` as `enduser.id` on the request span. Off by default: it is personal data. */
  recordEnduserId?: boolean;
}

// The adapter's own closed option list (option-keys.ts knows no adapter's types).
const instrumentKeys = keysOf<InstrumentOptions>()(['meterProvider', 'recordEnduserId']);

const scopeName = 'mcp-auth-rs';

/**
 * Instruments every middleware `mcpAuth` creates after this call (so call it
 * first). Metrics: `mcp_auth.decisions` (by `mcp_auth.outcome`,
 * `mcp_auth.reason`, `http.response.status_code`, `mcp_auth.resource`),
 * `mcp_auth.verification.duration` (seconds, by resource and validity),
 * `mcp_auth.jwks.refreshes` and `mcp_auth.jwks.outages` (by issuer; outages also by
 * `mcp_auth.reason`, the outage's fixed code). Spans:
 * the active span (the HTTP server span your instrumentation started) gets
 * `mcp_auth.*` attributes and an `mcp_auth.decision` event.
 */
export function instrument(mcpAuth: MCPAuth, options: InstrumentOptions = {}): void {
  assertKnownKeys(options, instrumentKeys, { owner: 'instrument' });
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(scopeName);
  const decisions = meter.createCounter('mcp_auth.decisions', {
    description: 'Authentication decisions on protected requests.',
    unit: '{decision}',
  });
  const duration = meter.createHistogram('mcp_auth.verification.duration', {
    description: 'Time to verify one access token, including any key fetch it waited for.',
    unit: 's',
    // The SDK's default buckets are sized for milliseconds; verification is mostly well under one.
    advice: { explicitBucketBoundaries: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const refreshes = meter.createCounter('mcp_auth.jwks.refreshes', { description: 'Key sets fetched.', unit: '{refresh}' });
  const outages = meter.createCounter('mcp_auth.jwks.outages', { description: 'Key sets that could not be fetched.', unit: '{outage}' });

  mcpAuth.addAuthEventListener((event: AuthEvent) => {
    switch (event.type) {
      case 'accepted':
      case 'rejected': {
        const attributes: Attributes = {
          'mcp_auth.outcome': event.type,
          'mcp_auth.reason': event.type === 'accepted' ? 'ok' : fixedReason(event.reason),
          'http.response.status_code': event.type === 'accepted' ? 200 : event.status,
          ...(event.resource === undefined ? {} : { 'mcp_auth.resource': event.resource }),
        };
        decisions.add(1, attributes);
        const span = trace.getActiveSpan();
        if (!span) return;
        // The status is the gate's answer, not necessarily the request's: keep it on the event only.
        const { 'http.response.status_code': status, ...spanAttributes } = attributes;
        span.setAttributes(spanAttributes);
        if (event.type === 'accepted' && options.recordEnduserId && event.subject) span.setAttribute('enduser.id', event.subject);
        span.addEvent('mcp_auth.decision', { ...spanAttributes, 'mcp_auth.status': status as number });
        return;
      }
      case 'verification':
        duration.record(event.durationMs / 1000, {
          'mcp_auth.valid': event.valid,
          ...(event.resource === undefined ? {} : { 'mcp_auth.resource': event.resource }),
        });
        return;
      case 'jwks_refreshed':
        refreshes.add(1, event.issuer === undefined ? {} : { 'mcp_auth.issuer': event.issuer });
        return;
      case 'jwks_unavailable':
        outages.add(1, {
          ...(event.issuer === undefined ? {} : { 'mcp_auth.issuer': event.issuer }),
          // The code, never the reason's words: they can echo what the server sent.
          'mcp_auth.reason': event.code ?? 'other',
        });
        return;
    }
  });
}
