// The demo's record of what happened on the wire: a Transcript of steps, and
// a fetch wrapper that the SDK client uses, which records each step of the
// OAuth flow (challenge, metadata, registration, token) as it happens.
// Access tokens are never recorded: only their decoded header and claims are.

// ---------------------------------------------------------------------------
// Transcript

/** Ordered record of what happened; `write` (optional) prints each step as it comes. */
export class Transcript {
  entries = [];

  /** @param {{ write?: (entry: { step: string, lines: string[], data: object }) => void }} [options] */
  constructor({ write } = {}) {
    this.write = write;
  }

  /** Records one step. `lines` is a string or array of strings; `data` is for programs. */
  add(step, lines, data = {}) {
    const entry = { step, lines: [lines].flat(), data };
    this.entries.push(entry);
    if (entry.lines.length > 0) this.write?.(entry); // entries without lines are for programs only
    return entry;
  }

  /** Entries of one kind, in order. */
  of(step) {
    return this.entries.filter((entry) => entry.step === step);
  }
}

/** Plain-text rendering of an entry: the first line flush, the rest indented. */
export function formatEntry({ step, lines }) {
  if (step === 'section') return `\n${lines.join('\n')}`;
  return lines.map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`)).join('\n');
}

// ---------------------------------------------------------------------------
// JWT display

/** Header and claims of a JWT, without verifying it (for display and tests only). */
export function decodeJwt(token) {
  const [header, payload] = String(token)
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

function describeAccessToken(token) {
  const { header, payload } = decodeJwt(token);
  const shown = {
    iss: payload.iss,
    sub: payload.sub,
    aud: payload.aud,
    scope: payload.scope,
    client_id: shorten(payload.client_id),
    exp: payload.exp === undefined ? undefined : `iat + ${payload.exp - payload.iat}s`,
  };
  return [`access token: JWT typ=${header.typ} alg=${header.alg}, ${token.length} chars, claims:`, `  ${JSON.stringify(shown)}`];
}

export function shorten(value) {
  return typeof value === 'string' && value.length > 14 ? `${value.slice(0, 10)}…` : value;
}

// ---------------------------------------------------------------------------
// HTTP tracing: wraps the fetch the SDK uses, and records the steps of the flow.

export function createTracingFetch(transcript, mcpUrl) {
  const endpoints = { registration: undefined, token: undefined };
  const mcp = new URL(mcpUrl).href;
  let sawAuthorizedRequest = false;

  return async function tracingFetch(input, init = {}) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const response = await fetch(input, init);

    try {
      if (url.href === mcp) {
        const headers = new Headers(init.headers);
        const authorized = headers.has('authorization');
        const rpcMethod = jsonRpcMethod(init.body);
        const version = headers.get('mcp-protocol-version');
        const label =
          `${method} ${url.pathname}` +
          (rpcMethod ? ` (${rpcMethod}${authorized ? ', with Bearer token' : ', no token'}${version ? `, MCP-Protocol-Version ${version}` : ''})` : '');
        transcript.add('mcp-request', [], { method, rpcMethod, tool: jsonRpcToolName(init.body), authorized, version, status: response.status });
        if (response.status === 401 || response.status === 403) {
          const challenge = response.headers.get('www-authenticate');
          transcript.add('challenge', [`→ ${label}`, `← ${response.status} WWW-Authenticate: ${challenge}`], {
            status: response.status,
            authorized,
            rpcMethod,
            wwwAuthenticate: challenge,
            exposeHeaders: response.headers.get('access-control-expose-headers'),
          });
        } else if (authorized && rpcMethod && !sawAuthorizedRequest) {
          // The first request that got through: initialize (2025) or server/discover (2026).
          sawAuthorizedRequest = true;
          transcript.add('mcp-authorized', [`→ ${label}`, `← ${response.status}`], { status: response.status, rpcMethod });
        }
      } else if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
        /** @type {any} */ // the server's JSON, as it came
        const body = response.ok ? await response.clone().json() : undefined;
        transcript.add(
          'prm',
          [`→ GET ${url.href}`, `← ${response.status} ${body ? JSON.stringify(body) : ''}`.trimEnd()],
          { url: url.href, status: response.status, body },
        );
      } else if (
        url.pathname.startsWith('/.well-known/oauth-authorization-server') ||
        url.pathname.endsWith('/.well-known/openid-configuration') ||
        url.pathname.startsWith('/.well-known/openid-configuration')
      ) {
        /** @type {any} */ // the server's JSON, as it came
        const body = response.ok ? await response.clone().json() : undefined;
        if (body) {
          endpoints.registration = body.registration_endpoint;
          endpoints.token = body.token_endpoint;
        }
        const summary = body
          ? `issuer ${JSON.stringify(body.issuer)}, registration ${body.registration_endpoint ? 'yes' : 'no'}, ` +
            `PKCE ${JSON.stringify(body.code_challenge_methods_supported ?? [])}, ` +
            `iss in response ${body.authorization_response_iss_parameter_supported === true ? 'yes' : 'no'}`
          : '';
        transcript.add('as-metadata', [`→ GET ${url.href}`, `← ${response.status} ${summary}`.trimEnd()], {
          url: url.href,
          status: response.status,
          body,
        });
      } else if (endpoints.registration && url.href === endpoints.registration && method === 'POST') {
        const sent = JSON.parse(String(init.body ?? '{}'));
        /** @type {any} */ // the server's JSON, as it came
        const body = response.ok ? await response.clone().json() : await response.clone().text();
        transcript.add(
          'registration',
          [
            `→ POST ${url.href}  (dynamic client registration, scope ${JSON.stringify(sent.scope)})`,
            response.ok
              ? `← ${response.status} client_id ${shorten(body.client_id)}, token_endpoint_auth_method ${body.token_endpoint_auth_method}`
              : `← ${response.status} ${body}`,
          ],
          { status: response.status, request: sent, clientId: body?.client_id },
        );
      } else if (endpoints.token && url.href === endpoints.token && method === 'POST') {
        const sent = new URLSearchParams(String(init.body ?? ''));
        /** @type {any} */ // the server's JSON, as it came
        const body = await response.clone().json();
        const grantType = sent.get('grant_type');
        const proof =
          grantType === 'refresh_token'
            ? 'refresh_token sent'
            : `code_verifier ${sent.has('code_verifier') ? 'sent' : 'missing'}`;
        const lines = [
          `→ POST ${url.href}  (grant_type=${grantType}, ${proof}, resource=${sent.get('resource')}` +
            `${sent.has('scope') ? `, scope "${sent.get('scope')}"` : ''})`,
        ];
        if (response.ok) {
          lines.push(
            `← ${response.status} token_type ${body.token_type}, expires_in ${body.expires_in}, scope ${JSON.stringify(body.scope)}` +
              `${body.refresh_token ? ', refresh token issued' : ', no refresh token'}`,
          );
          lines.push(...describeAccessToken(body.access_token));
        } else {
          lines.push(`← ${response.status} ${body.error}: ${body.error_description ?? ''}`);
        }
        transcript.add('token', lines, {
          status: response.status,
          grantType,
          resource: sent.get('resource'),
          requestedScope: sent.get('scope') ?? undefined,
          scope: body.scope,
          refreshTokenIssued: typeof body.refresh_token === 'string',
          claims: response.ok ? decodeJwt(body.access_token).payload : undefined,
          header: response.ok ? decodeJwt(body.access_token).header : undefined,
        });
      }
    } catch (error) {
      transcript.add('trace-error', `(could not trace ${method} ${url.href}: ${error.message})`);
    }
    return response;
  };
}

function jsonRpcToolName(body) {
  try {
    const message = typeof body === 'string' ? JSON.parse(body) : undefined;
    return message?.method === 'tools/call' ? message.params?.name : undefined;
  } catch {
    return undefined;
  }
}

function jsonRpcMethod(body) {
  if (typeof body !== 'string') return undefined;
  try {
    const message = JSON.parse(body);
    return Array.isArray(message) ? message.map((m) => m.method).join(',') : message.method;
  } catch {
    return undefined;
  }
}


/**
 * The auth-params of a single Bearer challenge, e.g. { error, scope,
 * resource_metadata }: enough for the demo's own challenges (the tests use a
 * strict RFC 9110 parser).
 */
export function challengeParams(wwwAuthenticate) {
  const params = {};
  for (const [, name, quoted, bare] of String(wwwAuthenticate ?? '').matchAll(/([A-Za-z_][\w-]*)=(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    params[name.toLowerCase()] = quoted === undefined ? bare : quoted.replace(/\\(.)/g, '$1');
  }
  return params;
}
