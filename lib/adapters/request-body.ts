// The request body an `operations` route judges, obtained the way each
// server allows: a body an earlier parser produced is reused; otherwise the
// stream (Node) or a clone of the Request (web-standard) is read, bounded by
// `maxBodyBytes`. What the body says is the core's to decide: this file only
// tells it which case it has (lib/authenticate.ts `RequestBody`).

import type { IncomingMessage } from 'node:http';
import type { RequestBody } from '../authenticate.js';

const none: RequestBody = Object.freeze({ state: 'none' });
const notJson: RequestBody = Object.freeze({ state: 'not-json' });
const tooLarge: RequestBody = Object.freeze({ state: 'too-large' });
const unreadable: RequestBody = Object.freeze({ state: 'unreadable' });

/** The body and, when this file read it, its bytes (to hand the parsed value to the next layer). */
export interface ReadBody {
  body: RequestBody;
  read?: Uint8Array;
}

/** `application/json`, any parameters, any case; nothing else (not `+json`, not a missing type). */
export function isJsonContentType(value: string | null | undefined): boolean {
  if (typeof value !== 'string') return false;
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/**
 * What to check before any body is looked at: a request that is not a POST
 * has none to judge, a POST that is not JSON is refused. `undefined`: go on.
 */
export function bodyPrecheck(method: string, contentType: string | null | undefined): RequestBody | undefined {
  if (method !== 'POST') return none;
  return isJsonContentType(contentType) ? undefined : notJson;
}

/**
 * A value an earlier parser produced: its JSON text, or the text or bytes
 * as they are (a text or raw parser). The core parses it again, so what it
 * judges is what the next layer reads.
 */
export function reuseParsed(value: unknown): RequestBody {
  if (typeof value === 'string') return { state: 'json', bytes: value };
  if (value instanceof Uint8Array) return { state: 'json', bytes: value };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // A cycle or a BigInt: not a body any parser produced from JSON.
  }
  // Nothing JSON can write (a function, undefined): nothing to judge, so refused.
  return typeof text === 'string' ? { state: 'json', bytes: text } : unreadable;
}

/** The body as the JSON value the next layer expects, or `undefined` when it is not JSON. */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

// `Content-Length` over the bound: refused without reading.
function declaredTooLarge(value: string | null | undefined, max: number): boolean {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) && Number(value) > max;
}

/**
 * A Node request's body, up to `max` bytes: `undefined` when the client went
 * away before it ended (nothing to answer). The caller checked that nothing
 * was parsed before (`reuseParsed` otherwise).
 */
export function readNodeBody(req: IncomingMessage, max: number): Promise<ReadBody | undefined> | ReadBody {
  // Read by someone who left nothing behind: it cannot be judged, so it is refused.
  if (req.readableEnded || req.readableDidRead) return { body: unreadable };
  if (declaredTooLarge(req.headers['content-length'], max)) return { body: tooLarge };
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: ReadBody | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop buffering; the refusal closes the connection (the rest is never read).
        req.pause();
        done({ body: tooLarge });
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      const bytes = Buffer.concat(chunks, size);
      done({ body: { state: 'json', bytes }, read: bytes });
    };
    const onGone = () => done(undefined);
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/**
 * A web-standard Request's body, read from a clone (the Request itself stays
 * readable for the transport), up to `max` bytes. The method and Content-Type
 * are checked by the caller (`bodyPrecheck`).
 */
export async function readWebBody(request: Request, max: number): Promise<ReadBody> {
  if (request.bodyUsed) return { body: unreadable };
  if (declaredTooLarge(request.headers.get('content-length'), max)) return { body: tooLarge };
  const stream = request.clone().body;
  if (stream === null) return { body: { state: 'json', bytes: new Uint8Array(0) }, read: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch {
      return { body: unreadable };
    }
    if (next.done) break;
    size += next.value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { body: tooLarge };
    }
    chunks.push(next.value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { body: { state: 'json', bytes }, read: bytes };
}
