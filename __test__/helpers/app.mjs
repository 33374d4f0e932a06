// Helpers for the wrapper's HTTP tests: both Express majors, a raw-bytes
// request builder on top of rawRequest(), and single-header accessors that
// fail when a header is missing or repeated.

import assert from 'node:assert/strict';
import express5 from 'express';
import express4 from 'express4';
import { startHttp, rawRequest, headerValues } from './http.mjs';

/** Express factories under test, by label. */
export const EXPRESS_VERSIONS = Object.freeze({ 'express 5': express5, 'express 4': express4 });

/** Serve a fresh app of `express` configured by `mount(app)`; returns startHttp's handle. */
export function serveApp(express, mount) {
  const app = express();
  mount(app);
  return startHttp(app);
}

/**
 * Send one request with exact header bytes. `headers` is a list of
 * [name, value] pairs (repeats allowed) or a plain object.
 */
export function send(server, { method = 'GET', path = '/', headers = [], body } = {}) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of pairs) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return rawRequest(server.port, `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

/** The one value of header `name`; fails if absent or repeated. */
export function single(response, name) {
  const values = headerValues(response.headers, name);
  assert.equal(values.length, 1, `expected exactly one ${name} header, got ${JSON.stringify(values)}`);
  return values[0];
}

export function hasHeader(response, name) {
  return headerValues(response.headers, name).length > 0;
}

/** Parsed JSON body after checking the Content-Type says JSON. */
export function jsonBody(response) {
  assert.match(single(response, 'content-type'), /^application\/json\b/);
  return JSON.parse(response.body);
}
