// An embedded OAuth 2.1 / OpenID Connect authorization server for the demo,
// built on oidc-provider (a certified OpenID Provider) and configured the way
// an authorization server for MCP is configured:
//   - discovery (/.well-known/oauth-authorization-server and /.well-known/openid-configuration), JWKS
//   - open dynamic client registration (RFC 7591) for public clients
//   - authorization code + PKCE (S256 only), with RFC 9207 `iss` in the response
//   - resource indicators (RFC 8707): JWT access tokens (RFC 9068) whose `aud` is
//     the requested resource and whose `scope` is what the account may have.
//   - refresh tokens for clients that register for the refresh_token grant and
//     ask for offline_access (rotated on every use: these are public clients).
//
// Demo accounts (no passwords; pick one on the login page):
//   user  → create:todos
//   admin → create:todos read:todos delete:todos
// The scopes a token gets are decided here, per account, whatever the client asks for.
// grantScopes() changes an account's policy at run time, as an administrator would.
//
// Everything is in memory and listens on 127.0.0.1 only. Not for production.
//   node examples/todo-manager/authorization-server.mjs    (AS_PORT, RESOURCE to configure)

import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import express from 'express';
import Provider, { errors } from 'oidc-provider';
import { isMain, listen } from './listen.mjs';

export const TODO_SCOPES = Object.freeze(['create:todos', 'read:todos', 'delete:todos']);

export const DEMO_ACCOUNTS = Object.freeze({
  user: Object.freeze({ scopes: Object.freeze(['create:todos']) }),
  admin: Object.freeze({ scopes: Object.freeze(['create:todos', 'read:todos', 'delete:todos']) }),
});

/**
 * @param {object} [options]
 * @param {number} [options.port=0] 0 picks a free port.
 * @param {string} [options.host='127.0.0.1']
 * @param {Array<string | { indicator: string, scopes?: string[] }>} [options.resources]
 *   resource indicators tokens may be issued for (more with addResource()).
 * @param {Record<string, { scopes: readonly string[] }>} [options.accounts=DEMO_ACCOUNTS]
 *   the initial policy; the server keeps its own copy.
 * @param {readonly string[]} [options.scopes=TODO_SCOPES] every resource scope the server knows.
 * @param {number} [options.accessTokenTTL=600] seconds.
 * @param {boolean} [options.dpop=false] RFC 9449: a client that sends a DPoP proof to the token
 *   endpoint gets a DPoP-bound access token (`token_type: DPoP`, `cnf.jkt`); others still get Bearer ones.
 */
export async function startAuthorizationServer({
  port = 0,
  host = '127.0.0.1',
  resources = [],
  accounts = DEMO_ACCOUNTS,
  scopes = TODO_SCOPES,
  accessTokenTTL = 600,
  dpop = false,
} = {}) {
  const http = await listen({ host, port });
  try {
    const issuer = http.origin;
    const knownScopes = new Set(scopes);
    // accountId -> Set of resource scopes the account may be granted.
    const policy = new Map(Object.entries(accounts).map(([id, account]) => [id, new Set(account.scopes)]));
    const resourceServers = new Map(); // indicator -> { scopes }

    // tokenFormat 'opaque' issues reference tokens that only introspection can read (RFC 7662).
    const addResource = (indicator, { scopes: resourceScopes = scopes, tokenFormat = 'jwt' } = {}) => {
      if (!URL.canParse(indicator) || indicator.includes('#')) {
        throw new TypeError(`A resource indicator must be an absolute URL without a fragment: ${indicator}`);
      }
      const unknown = resourceScopes.filter((scope) => !knownScopes.has(scope));
      if (unknown.length > 0) throw new TypeError(`Unknown scopes for ${indicator}: ${unknown.join(' ')}`);
      if (tokenFormat !== 'jwt' && tokenFormat !== 'opaque') throw new TypeError(`tokenFormat must be 'jwt' or 'opaque', got ${tokenFormat}`);
      resourceServers.set(indicator, { scopes: [...resourceScopes], tokenFormat });
    };
    for (const entry of resources) {
      if (typeof entry === 'string') addResource(entry);
      else addResource(entry.indicator, entry);
    }

    // The indicator exactly as registered, or — for an origin-only resource —
    // with or without the trailing slash (clients disagree on that one; the
    // token's `aud` stays the string the client sent).
    const findResourceServer = (indicator) => {
      const exact = resourceServers.get(indicator);
      if (exact) return exact;
      const alias = indicator.endsWith('/') ? indicator.slice(0, -1) : `${indicator}/`;
      if (!URL.canParse(alias)) return undefined;
      const url = new URL(alias);
      if (url.pathname !== '/' || url.search || alias.includes('#')) return undefined;
      return resourceServers.get(alias);
    };

    // The resource server's own client, for RFC 7662 introspection (client_secret_basic or _post).
    const introspectionClient = { clientId: 'todo-resource-server', clientSecret: randomBytes(24).toString('base64url') };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: introspectionClient.clientId,
          client_secret: introspectionClient.clientSecret,
          grant_types: [],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      adapter: createMemoryAdapter(),
      jwks: { keys: [createSigningKey()] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      // Resource scopes must be listed here too: clients send them when they register.
      // offline_access is granted to every account that asks (see applyAccountPolicy).
      scopes: ['openid', 'offline_access', ...scopes],
      claims: { openid: ['sub'] },
      responseTypes: ['code'],
      clientDefaults: {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      pkce: { required: () => true },
      // A refresh token when the client may use the grant and offline_access was
      // granted. The SDK asks for offline_access (with prompt=consent) when the
      // metadata lists it and the client registered for refresh_token.
      issueRefreshToken: async (_ctx, client, code) =>
        client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: dpop },
        // Only the resource server's own client may introspect (RFC 7662 §4: authorize the caller).
        introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientId === introspectionClient.clientId },
        registration: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, _client, oneOf) => oneOf ?? undefined,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            const resourceServer = findResourceServer(indicator);
            if (!resourceServer) throw new errors.InvalidTarget();
            return {
              scope: resourceServer.scopes.join(' '),
              audience: indicator,
              accessTokenFormat: resourceServer.tokenFormat,
              accessTokenTTL,
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx, accountId) =>
        policy.has(accountId) ? { accountId, claims: async () => ({ sub: accountId }) } : undefined,
      // After login, grant exactly what the account may have. With every
      // requested scope either granted or rejected, no consent prompt is needed.
      loadExistingGrant: async (ctx) => {
        const { accountId } = ctx.oidc.session;
        if (!accountId || !policy.has(accountId)) return undefined;
        const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client.clientId });
        const requested = ctx.oidc.requestParamScopes;
        const resourceScopes = Object.fromEntries(
          Object.entries(ctx.oidc.resourceServers ?? {}).map(([indicator, resourceServer]) => [
            indicator,
            [...requested].filter((scope) => resourceServer.scopes.has(scope)),
          ]),
        );
        applyAccountPolicy(grant, policy.get(accountId), [...ctx.oidc.requestParamOIDCScopes], resourceScopes);
        await grant.save();
        return grant;
      },
      clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => originOf(uri) === origin),
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.body = page(
          'Authorization error',
          Object.entries(out)
            .map(([key, value]) => `<p><b>${escapeHtml(key)}</b>: ${escapeHtml(value)}</p>`)
            .join(''),
        );
      },
      ttl: {
        AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTTL,
        AuthorizationCode: 60,
        ClientCredentials: 600,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
        RefreshToken: 3600,
      },
    });

    const app = express();
    app.disable('x-powered-by');
    // Counted so a test can tell that a client never came here (per-tool authorization: public calls).
    let requestCount = 0;
    app.use((_req, _res, next) => {
      requestCount += 1;
      next();
    });
    app.use(provider.pathFor('registration'), allowCrossOriginRegistration);
    mountInteractions(app, provider, policy);
    // oidc-provider 8 serves its metadata only at openid-configuration. The
    // same document answers RFC 8414 discovery, which MCP clients try first.
    app.get('/.well-known/oauth-authorization-server', (req, _res, next) => {
      req.url = '/.well-known/openid-configuration';
      next();
    });
    app.use(provider.callback());

    http.handle(app);
    return {
      issuer,
      port: http.port,
      provider,
      /** Allows tokens for another resource indicator (an MCP server URL); `{ tokenFormat: 'opaque' }` for reference tokens. */
      addResource,
      /** The credentials a resource server introspects tokens with (RFC 7662, client_secret_basic or client_secret_post). */
      introspectionClient,
      /** Requests this server has received so far (any path). */
      get requestCount() {
        return requestCount;
      },
      /** The resource scopes `accountId` may be granted now. */
      accountScopes: (accountId) => [...(policy.get(accountId) ?? [])],
      /**
       * Lets `accountId` be granted `extraScopes` from the next authorization
       * on (tokens already issued keep their scopes).
       */
      grantScopes(accountId, extraScopes) {
        const allowed = policy.get(accountId);
        if (!allowed) throw new TypeError(`Unknown account: ${accountId}`);
        const unknown = extraScopes.filter((scope) => !knownScopes.has(scope));
        if (unknown.length > 0) throw new TypeError(`Unknown scopes: ${unknown.join(' ')}`);
        for (const scope of extraScopes) allowed.add(scope);
      },
      close: () => http.close(),
    };
  } catch (error) {
    await http.close();
    throw error;
  }
}

// Grant the account's scopes among those requested, reject the rest. The
// resource scopes also count as OpenID scopes (they are in `scopes`), so
// they are rejected on that side: they belong in access tokens only.
// openid and offline_access (a refresh token) are granted to every account.
const OIDC_SCOPES_GRANTED = new Set(['openid', 'offline_access']);
function applyAccountPolicy(grant, allowed, requestedOIDCScopes, requestedResourceScopes) {
  const oidc = requestedOIDCScopes.filter((scope) => OIDC_SCOPES_GRANTED.has(scope));
  const notOidc = requestedOIDCScopes.filter((scope) => !OIDC_SCOPES_GRANTED.has(scope));
  if (oidc.length) grant.addOIDCScope(oidc.join(' '));
  if (notOidc.length) grant.rejectOIDCScope(notOidc.join(' '));
  for (const [indicator, requested] of Object.entries(requestedResourceScopes)) {
    const granted = requested.filter((scope) => allowed.has(scope));
    const denied = requested.filter((scope) => !allowed.has(scope));
    if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
    if (denied.length) grant.rejectResourceScope(indicator, denied.join(' '));
  }
}

// Login (and, should the provider ask for it, consent) pages of the demo.
function mountInteractions(app, provider, policy) {
  const body = express.urlencoded({ extended: false, limit: '4kb' });

  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        res.type('html').send(loginPage(details, policy));
        return;
      }
      // Not reached with loadExistingGrant above, except for clients that
      // always get a consent prompt (native apps): decide it the same way.
      const { accountId } = details.session ?? {};
      if (details.prompt.name !== 'consent' || !accountId || !policy.has(accountId)) {
        res.status(400).type('html').send(page('Unexpected step', `<p>${escapeHtml(details.prompt.name)}</p>`));
        return;
      }
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: details.params.client_id });
      const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
      applyAccountPolicy(grant, policy.get(accountId), missingOIDCScope, missingResourceScopes);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (error) {
      next(error);
    }
  });

  app.post('/interaction/:uid/login', body, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const accountId = typeof req.body?.login === 'string' ? req.body.login : '';
      if (details.prompt.name !== 'login' || !policy.has(accountId)) {
        res.status(400).type('html').send(loginPage(details, policy, 'Choose one of the demo accounts.'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });

  app.post('/interaction/:uid/abort', async (req, res, next) => {
    try {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      next(error);
    }
  });

  app.use('/interaction', (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error instanceof errors.OIDCProviderError ? error.statusCode : 500;
    res
      .status(status)
      .type('html')
      .send(page('Sign-in failed', `<p>${escapeHtml(error.error_description ?? error.message)}</p>`));
  });
}

// oidc-provider sends no CORS headers from its registration endpoint. Browser
// clients (the MCP Inspector) register from the page, so allow that here:
// registration is open to anyone anyway, and no credentials are involved.
function allowCrossOriginRegistration(req, res, next) {
  if (!req.headers.origin) return next();
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
    return;
  }
  next();
}

function loginPage(details, policy, notice) {
  const { uid, params } = details;
  const action = `/interaction/${encodeURIComponent(uid)}`;
  const buttons = [...policy]
    .map(
      ([id, allowed]) =>
        `<p><button type="submit" name="login" value="${escapeHtml(id)}">Sign in as <b>${escapeHtml(id)}</b></button> ` +
        `<small>(${escapeHtml([...allowed].join(' ') || 'no scopes')})</small></p>`,
    )
    .join('\n');
  return page(
    'Sign in',
    `${notice ? `<p><em>${escapeHtml(notice)}</em></p>` : ''}
<p>Client <code>${escapeHtml(params.client_id)}</code> asks for
<code>${escapeHtml(params.scope ?? '')}</code> on <code>${escapeHtml([params.resource ?? ''].flat().join(' '))}</code>.</p>
<form id="login" method="post" action="${action}/login">
${buttons}
</form>
<form id="abort" method="post" action="${action}/abort"><button type="submit">Cancel</button></form>`,
  );
}

function page(title, content) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)} · demo authorization server</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 2em auto">
<h1>${escapeHtml(title)}</h1>
${content}
<p><small>Demo authorization server (oidc-provider). Demo accounts only.</small></p>
</body></html>`;
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function originOf(uri) {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}

// A fresh RS256 key per run; its public half is served at /jwks. Generated
// encoded and imported again: on Node 20, exporting a key object that still
// shares data with its generator job can deadlock when GC finalizes the job.
function createSigningKey() {
  const der = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  }).privateKey;
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

// oidc-provider storage for one server instance, in memory, with expiry.
function createMemoryAdapter() {
  const entries = new Map(); // key -> { value, expiresAt }
  const grants = new Map(); // grantId -> Set of keys
  const read = (key) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const write = (key, value, expiresIn) => {
    entries.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
  };

  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      write(key, payload, expiresIn);
      if (payload.uid) write(`${this.model}/uid:${payload.uid}`, id, expiresIn);
      if (payload.userCode) write(`${this.model}/userCode:${payload.userCode}`, id, expiresIn);
      if (payload.grantId) {
        if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
        grants.get(payload.grantId).add(key);
      }
    }

    async find(id) {
      return read(this.key(id));
    }

    async findByUid(uid) {
      const id = read(`${this.model}/uid:${uid}`);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode) {
      const id = read(`${this.model}/userCode:${userCode}`);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id) {
      const payload = read(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const key of grants.get(grantId) ?? []) entries.delete(key);
      grants.delete(grantId);
    }
  };
}

if (isMain(import.meta.url)) {
  const { AS_PORT = '3002', PORT = '3001' } = process.env;
  const resource = process.env.RESOURCE ?? `http://127.0.0.1:${PORT}`;
  const as = await startAuthorizationServer({ port: Number(AS_PORT), resources: [resource] });
  console.log(`Authorization server: ${as.issuer}`);
  console.log(`  issues JWT access tokens for ${resource}; accounts: ${Object.keys(DEMO_ACCOUNTS).join(', ')}`);
}
