// A scripted MCP client that authorizes the way a real one does, on the
// official SDK v2 client (@modelcontextprotocol/client) and its OAuth
// support: it starts without a token, gets the 401, follows
// `resource_metadata` to the protected resource metadata, discovers the
// authorization server, registers itself (dynamic client registration), runs
// authorization code + PKCE with the `resource` parameter, and calls tools.
//
// Version negotiation: `era: 'auto'` (default) probes with server/discover
// and speaks 2026-07-28 when the server does; `era: 'legacy'` is the plain
// 2025-11-25 initialize handshake.
//
// Step-up (SEP-2350): on 403 insufficient_scope the SDK transport itself
// re-authorizes for the union of the scopes it had and the challenged ones.
// For an interactive client that is a redirect, so the call fails with
// UnauthorizedError; callTool() below then finishes the authorization and,
// only if the new token has the challenged scopes, sends the call once more.
//
// Every step is written to a Transcript. Tokens are never printed.

import { randomBytes } from 'node:crypto';
import {
  Client,
  DpopSession,
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  registerClient,
  startAuthorization,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { signInWithBrowser } from './browser.mjs';
import { challengeParams, createTracingFetch, decodeJwt, formatEntry, Transcript } from './transcript.mjs';

export { challengeParams, decodeJwt, formatEntry, signInWithBrowser, Transcript };

// Nothing needs to listen here: the scripted browser reads the code from the redirect.
export const REDIRECT_URL = 'http://127.0.0.1/oauth/callback';

const CLIENT_METADATA = Object.freeze({
  client_name: 'mcp-auth-rs todo demo client',
  redirect_uris: [REDIRECT_URL],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

const CLIENT_INFO = Object.freeze({ name: 'mcp-auth-rs-todo-demo', version: '0.2.0' });

// ---------------------------------------------------------------------------
// The SDK's OAuthClientProvider, for one user of the demo.

class DemoOAuthProvider {
  #account;
  #transcript;
  #clientInformation;
  #tokens;
  #codeVerifier;
  #state;
  #discovery;
  /** The callback query (code, state, iss) of the last sign-in; handed to transport.finishAuth(). */
  callback;
  /** Completed logins (each redirectToAuthorization is one). */
  logins = 0;

  constructor(account, transcript, dpopSession) {
    this.#account = account;
    this.#transcript = transcript;
    // With a session the SDK sends a proof to the token endpoint and, once the
    // AS answers `token_type: DPoP`, presents the token as `DPoP` with a proof per request.
    if (dpopSession) this.dpop = () => dpopSession;
  }

  get redirectUrl() {
    return REDIRECT_URL;
  }

  get clientMetadata() {
    return { ...CLIENT_METADATA, redirect_uris: [...CLIENT_METADATA.redirect_uris] };
  }

  state() {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  clientInformation() {
    return this.#clientInformation;
  }

  saveClientInformation(info) {
    this.#clientInformation = info;
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens) {
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier) {
    this.#codeVerifier = verifier;
  }

  codeVerifier() {
    if (!this.#codeVerifier) throw new Error('No PKCE code verifier saved.');
    return this.#codeVerifier;
  }

  discoveryState() {
    return this.#discovery;
  }

  // RFC 8414 §3.3: metadata must name the issuer it was fetched for. The SDK
  // leaves that check to us.
  saveDiscoveryState(state) {
    const issuer = state.authorizationServerMetadata?.issuer;
    if (issuer !== undefined && !sameIssuer(issuer, state.authorizationServerUrl)) {
      throw new Error(`Authorization server metadata names issuer ${issuer}, not ${state.authorizationServerUrl}.`);
    }
    this.#discovery = state;
  }

  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this.#clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#codeVerifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }

  async redirectToAuthorization(authorizationUrl) {
    const metadata = this.#discovery?.authorizationServerMetadata;
    const callback = await signInWithBrowser({
      authorizationUrl,
      account: this.#account,
      redirectUrl: REDIRECT_URL,
      expectedState: this.#state,
      expectedIssuer: metadata?.issuer,
      issRequired: metadata?.authorization_response_iss_parameter_supported === true,
      transcript: this.#transcript,
    });
    this.callback = new URLSearchParams(callback);
    this.logins += 1;
  }

  /** The callback of the last sign-in, once: the SDK checks its `iss` (RFC 9207) and redeems its code. */
  takeCallback() {
    const { callback } = this;
    this.callback = undefined;
    if (!callback?.has('code')) throw new Error('The sign-in did not produce an authorization code.');
    return callback;
  }
}

// The SDK hands over the URL it discovered; `String(new URL(x))` adds a "/" to a bare origin.
function sameIssuer(issuer, discoveredUrl) {
  return issuer === discoveredUrl || `${issuer}/` === discoveredUrl;
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Connects to the MCP server at `mcpUrl` as `account`, running the whole
 * authorization flow. Resolves to a session whose callTool() records calls.
 *
 * `dpop: true` binds the tokens to a key of this client (RFC 9449; the AS must support DPoP).
 *
 * @param {{ mcpUrl: string, account: string, transcript?: Transcript, era?: 'auto' | 'legacy', dpop?: boolean }} options
 */
export async function connectAs({ mcpUrl, account, transcript = new Transcript(), era = 'auto', dpop = false }) {
  const dpopSession = dpop ? await DpopSession.create({ alg: 'ES256' }) : undefined;
  const provider = new DemoOAuthProvider(account, transcript, dpopSession);
  const fetchTraced = createTracingFetch(transcript, mcpUrl);
  const newTransport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: fetchTraced });
  const newClient = () => new Client(CLIENT_INFO, { versionNegotiation: { mode: era } });

  // First attempt: no token yet → 401 → discovery, registration, sign-in.
  // The sign-in happens inside the SDK (redirectToAuthorization); the SDK then
  // reports the redirect as UnauthorizedError.
  const first = newClient();
  const firstTransport = newTransport();
  try {
    await first.connect(firstTransport);
    throw new Error('The MCP server accepted a request without a token.');
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  } finally {
    await firstTransport.close().catch(() => {});
  }
  await firstTransport.finishAuth(provider.takeCallback());

  // Second attempt, with the access token.
  const client = newClient();
  const transport = newTransport();
  await client.connect(transport);
  transcript.add(
    'connected',
    `${account}: connected, protocol era ${client.getProtocolEra()}, version ${client.getNegotiatedProtocolVersion()}`,
    { account, era: client.getProtocolEra(), protocolVersion: client.getNegotiatedProtocolVersion() },
  );
  return sessionOf({ account, client, transport, provider, transcript, dpopSession });
}

/**
 * Connects to a server with per-tool authorization without signing in: the
 * session lists tools and calls public ones anonymously; the first call of a
 * protected tool gets a 401, and callTool() then signs in as `account` (the
 * SDK's OAuth flow) and sends the call again on the same session.
 *
 * @param {{ mcpUrl: string, account: string, transcript?: Transcript, era?: 'auto' | 'legacy' }} options
 */
export async function connectAnonymously({ mcpUrl, account, transcript = new Transcript(), era = 'auto' }) {
  const provider = new DemoOAuthProvider(account, transcript);
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: createTracingFetch(transcript, mcpUrl) });
  const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: era } });
  await client.connect(transport);
  transcript.add(
    'connected',
    `${account}: connected without a token, protocol era ${client.getProtocolEra()}, version ${client.getNegotiatedProtocolVersion()}`,
    { account, anonymous: true, era: client.getProtocolEra(), protocolVersion: client.getNegotiatedProtocolVersion() },
  );
  return sessionOf({ account, client, transport, provider, transcript, dpopSession: undefined });
}

// A connected session: its token, and callTool() that answers the server's challenges.
function sessionOf({ account, client, transport, provider, transcript, dpopSession }) {
  /** @param {{ stepUp?: { challenged: string[], granted: string[], missing: string[] }, refused?: string, signedIn?: boolean }} [extra] */
  const record = (name, args, result, extra = {}) => {
    const text = result?.content?.find((part) => part.type === 'text')?.text ?? '';
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const outcome = { isError: result?.isError === true, text, value, ...extra };
    const argText = Object.keys(args).length ? ` ${JSON.stringify(args)}` : '';
    const shown = extra.refused ? `refused: ${extra.refused}` : `${outcome.isError ? '(isError) ' : ''}${text}`;
    transcript.add('tool', [`${account}: ${name}${argText}`, `→ ${shown}`], { account, name, args, ...outcome });
    return outcome;
  };

  return {
    account,
    client,
    /** 'modern' (2026-07-28 and later) or 'legacy' (2025-era initialize). */
    era: client.getProtocolEra(),
    protocolVersion: client.getNegotiatedProtocolVersion(),
    /** How many times this user went through the login page. */
    get logins() {
      return provider.logins;
    },
    /** The decoded claims of the current access token. */
    get tokenClaims() {
      const token = provider.tokens()?.access_token;
      return token ? decodeJwt(token).payload : undefined;
    },
    /** The raw access token (for tests; never print it). */
    get accessToken() {
      return provider.tokens()?.access_token;
    },
    /** `token_type` of the current token: 'Bearer', or 'DPoP' when it is bound to `dpopSession`. */
    get tokenType() {
      return provider.tokens()?.token_type;
    },
    /** The DPoP signing session (key and nonces), when connected with `dpop: true`. */
    dpopSession,
    get hasRefreshToken() {
      return typeof provider.tokens()?.refresh_token === 'string';
    },
    /**
     * Makes the stored access token unusable (its signature no longer
     * verifies), as an expired or revoked one would be. The next call gets a
     * 401 and the SDK has to use the refresh token.
     */
    spoilAccessToken() {
      const tokens = provider.tokens();
      if (!tokens?.access_token) throw new Error('No access token to spoil.');
      const [header, payload, signature] = tokens.access_token.split('.');
      const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
      provider.saveTokens({ ...tokens, access_token: `${header}.${payload}.${flipped}` });
    },
    /**
     * Calls a tool; returns { isError, text, value, stepUp?, refused? } where
     * value is the parsed JSON text. `stepUp` describes a 403 step-up:
     * { challenged, granted }; `refused` is set when the new token still
     * lacks a challenged scope (the call is then not sent again).
     */
    async callTool(name, args = {}) {
      const seen = transcript.entries.length;
      try {
        return record(name, args, await client.callTool({ name, arguments: args }));
      } catch (error) {
        if (!(error instanceof UnauthorizedError) || !provider.callback) throw error;
        const challenges = transcript.entries.slice(seen).filter((e) => e.step === 'challenge');
        const forbidden = challenges.filter((e) => e.data.status === 403).at(-1);
        if (!forbidden && challenges.some((e) => e.data.status === 401)) {
          // Per-tool authorization: the call needed a token this session did not
          // have yet; the SDK signed in (redirectToAuthorization). Redeem the
          // code, then send the call again on the same session.
          await transport.finishAuth(provider.takeCallback());
          transcript.add('signed-in', `${account}: signed in for ${name}; sending the call again`, { account, name });
          return record(name, args, await client.callTool({ name, arguments: args }), { signedIn: true });
        }
        if (!forbidden) throw error;
        // The SDK answered the 403 by re-authorizing (the login ran in
        // redirectToAuthorization); exchange the code for the new token.
        await transport.finishAuth(provider.takeCallback());
        const challenged = challengeScopes(forbidden.data.wwwAuthenticate);
        const granted = String(provider.tokens()?.scope ?? '').split(' ').filter(Boolean);
        const missing = challenged.filter((scope) => !granted.includes(scope));
        const stepUp = { challenged, granted, missing };
        transcript.add(
          'step-up',
          missing.length
            ? `${account}: step-up refused: the authorization server granted "${granted.join(' ')}", not ${missing.join(' ')}; the call is not retried`
            : `${account}: step-up granted "${granted.join(' ')}"; sending the call again`,
          { account, ...stepUp },
        );
        if (missing.length) return record(name, args, undefined, { stepUp, refused: `${missing.join(' ')} not granted` });
        return record(name, args, await client.callTool({ name, arguments: args }), { stepUp });
      }
    },
    close: () => client.close(),
  };
}

// The `scope` parameter of a Bearer challenge, as a list.
function challengeScopes(wwwAuthenticate) {
  return String(challengeParams(wwwAuthenticate).scope ?? '').split(' ').filter(Boolean);
}

/**
 * Gets an access token from `issuer` for any registered `resource`, the same
 * way (registration, PKCE, scripted sign-in) but without an MCP server in
 * front: used to show that a token for another resource is refused.
 */
export async function obtainAccessToken({ issuer, resource, account, scope, transcript }) {
  const metadata = await discoverAuthorizationServerMetadata(issuer);
  if (!metadata || metadata.issuer !== issuer) throw new Error(`No usable metadata for ${issuer}.`);
  const clientInformation = await registerClient(issuer, { metadata, clientMetadata: CLIENT_METADATA, scope });
  const state = randomBytes(16).toString('base64url');
  const { authorizationUrl, codeVerifier } = await startAuthorization(issuer, {
    metadata,
    clientInformation,
    redirectUrl: REDIRECT_URL,
    scope,
    state,
    resource,
  });
  const callback = await signInWithBrowser({
    authorizationUrl,
    account,
    redirectUrl: REDIRECT_URL,
    expectedState: state,
    expectedIssuer: metadata.issuer,
    issRequired: metadata.authorization_response_iss_parameter_supported === true,
    transcript,
  });
  return exchangeAuthorization(issuer, {
    metadata,
    clientInformation,
    authorizationCode: callback.code,
    iss: callback.iss,
    codeVerifier,
    redirectUri: REDIRECT_URL,
    resource,
  });
}
