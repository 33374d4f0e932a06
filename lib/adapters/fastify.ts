// Fastify 5 adapter (`mcp-auth-rs/fastify`): translates Fastify's request and
// reply to the framework-neutral decision and metadata answer. `fastify` is
// an optional peer; only its types are used.

/**
 * `mcp-auth-rs/fastify`: the Fastify 5 hooks (`fastify` is an optional peer).
 * @module mcp-auth-rs/fastify
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthDecision, AuthRequest, RequestBody } from '../authenticate.js';
import { peerCertificate } from './peer-certificate.js';
import { isCorsPreflight } from '../authenticate.js';
import type { BearerAuthOptions, MCPAuth } from '../mcp-auth.js';
import type { MetadataAnswer } from '../metadata-responder.js';
import type { OperationHelpers } from '../operation-types.js';
import { rechallengeNodeResponse } from '../step-up.js';
import { bodyPrecheck, reuseParsed } from './request-body.js';
import type { AuthInfo, VerifyAccessTokenFunction, VerifyAccessTokenMode, VerifyJwtConfig } from '../types.js';
import { exposeAlso, exposeHeaders } from './web.js';

/** An `onRequest` or `preHandler` hook. */
export type FastifyAuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * A plugin serving the protected resource metadata documents from an
 * `onRequest` hook, so they need no route and every method gets the same
 * answer (405 included). Registered unencapsulated: it applies app-wide.
 */
export function protectedResourceMetadata(mcpAuth: MCPAuth) {
  const respond = mcpAuth.protectedResourceMetadataResponder();
  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request, reply) => {
      const answer = respond(fromFastify(request));
      if (answer) return send(reply, answer);
    });
  };
  // What fastify-plugin does: the hook reaches routes outside this plugin's scope.
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}

export function bearerAuth(mcpAuth: MCPAuth, verifyAccessToken: VerifyAccessTokenFunction, options?: BearerAuthOptions): FastifyAuthHook & OperationHelpers;
export function bearerAuth(mcpAuth: MCPAuth, mode: VerifyAccessTokenMode, options?: BearerAuthOptions & VerifyJwtConfig): FastifyAuthHook & OperationHelpers;
/**
 * Sets `request.auth` for an accepted token, else sends our rejection. With
 * `operations` it must be a `preHandler` hook (it judges the parsed body;
 * at `onRequest` every JSON POST is refused with 500), and a public
 * operation called without credentials goes on with `request.auth` unset.
 */
export function bearerAuth(
  mcpAuth: MCPAuth,
  modeOrVerify: VerifyAccessTokenMode | VerifyAccessTokenFunction,
  options: BearerAuthOptions & VerifyJwtConfig = {},
): FastifyAuthHook & OperationHelpers {
  const authenticate = mcpAuth.authenticator(modeOrVerify, options);
  // Decided once: without mTLS the socket is never looked at.
  const readsCertificate = authenticate.readsConnectionCertificate === true;
  const gate = authenticate.operations;
  const helpers = { toolMeta: authenticate.toolMeta!, securitySchemes: authenticate.securitySchemes! };
  const hook: FastifyAuthHook =
    gate === undefined
      ? async (request, reply) => {
          const authRequest = fromFastify(request);
          // Preflights carry no credentials; the CORS layer answers them (C9).
          if (isCorsPreflight(authRequest)) return;
          const decision: AuthDecision = await (readsCertificate
            ? authenticate(authRequest, peerCertificate(request.raw.socket))
            : authenticate(authRequest));
          if (!decision.ok) return send(reply, decision);
          admit(request, reply, decision, options);
        }
      : async (request, reply) => {
          const authRequest = fromFastify(request);
          if (isCorsPreflight(authRequest)) return;
          const certificate = readsCertificate ? peerCertificate(request.raw.socket) : undefined;
          const decision = await gate.authenticate(authRequest, fastifyBody(request), certificate);
          if (!decision.ok) return send(reply, decision);
          // A public operation without credentials: no identity, `request.auth` stays unset.
          if (decision.auth !== undefined) admit(request, reply, decision, options);
        };
  return Object.assign(hook, helpers);
}

function admit(request: FastifyRequest, reply: FastifyReply, decision: AuthDecision & { ok: true }, options: BearerAuthOptions): void {
  (request as FastifyRequest & { auth?: AuthInfo }).auth = decision.auth;
  // A handler may still answer 403 insufficient_scope (SDK v2's per-tool
  // scope challenges): browser clients must be able to read that challenge too.
  // On the raw response too: handlers such as SDK v2's toNodeHandler write to reply.raw directly.
  const exposed = exposeAlso(headerText(reply.getHeader(exposeHeaders) ?? reply.raw.getHeader(exposeHeaders)));
  reply.header(exposeHeaders, exposed);
  reply.raw.setHeader(exposeHeaders, exposed);
  // ...and under DPoP that challenge must name the scheme used (lib/step-up.ts). Both
  // reply.send and handlers on reply.raw end in reply.raw.writeHead, which this wraps.
  if (decision.rechallenge) rechallengeNodeResponse(reply.raw, decision.rechallenge);
  if (options.stripAuthorizationHeader) stripAuthorization(request);
}

// At `preHandler` Fastify has parsed (and bounded, by its `bodyLimit`) a JSON
// body; none on a JSON POST means the hook runs too early (`onRequest`).
function fastifyBody(request: FastifyRequest): RequestBody {
  const early = bodyPrecheck(request.method, request.headers['content-type']);
  if (early !== undefined) return early;
  return request.body === undefined ? { state: 'unreadable' } : reuseParsed(request.body);
}

// Node's rawHeaders, so repeated Authorization headers are told apart (Node keeps only the first).
function fromFastify(request: FastifyRequest): AuthRequest {
  return { method: request.method, url: request.raw.url ?? request.url, headers: request.headers, rawHeaders: request.raw.rawHeaders };
}

// Returning the reply tells Fastify the hook has answered.
function send(reply: FastifyReply, answer: MetadataAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

function headerText(value: ReturnType<FastifyReply['getHeader']>): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
}

function stripAuthorization(request: FastifyRequest): void {
  delete request.headers.authorization;
  const raw = request.raw.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === 'authorization') raw.splice(i, 2);
}
