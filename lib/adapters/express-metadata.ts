// Express adapter for the metadata documents (metadata-responder.ts decides).
// Mounted with app.use, so the path is matched against req.url relative to
// the mount point, and Express 4 and 5 behave the same.

import type { ServerResponse } from 'node:http';
import type { Router } from 'express';
import { createMetadataResponder, type MetadataAnswer, type MetadataEndpoint } from '../metadata-responder.js';

export type { MetadataEndpoint } from '../metadata-responder.js';

export function createMetadataRouter(endpoints: MetadataEndpoint[]): Router {
  const respond = createMetadataResponder(endpoints);
  // Loaded on first use: servers on Hono, Fastify, Bun or Deno need no Express.
  const router = (require('express') as typeof import('express')).Router();
  router.use((req, res, next) => {
    const answer = respond(req);
    if (!answer) return next();
    if (!(answer instanceof Promise)) return send(res, answer);
    answer.then((settled) => send(res, settled)).catch(() => res.destroy());
  });
  return router;
}

function send(res: ServerResponse, answer: MetadataAnswer): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (answer.body === undefined) return void res.end();
  res.setHeader('Content-Length', Buffer.byteLength(answer.body));
  res.end(answer.body);
}
