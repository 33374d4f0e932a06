// A scripted MCP client that authorizes the way a real one does, using the
// official SDK's OAuth support: it starts without a token, gets the 401,
// follows `resource_metadata` to the protected resource metadata, discovers the
// authorization server, registers itself (dynamic client registration), runs
// authorization code + PKCE with the `resource` parameter, and calls tools.
//
// The one scripted part is the user's browser: redirectToAuthorization() loads
// the authorization URL, reads the login page, submits its form for the chosen
// account, and picks the code off the redirect (checking `state` and `iss`).
//
// Every step is written to a Transcript. Access tokens are never printed: only
// their decoded claims are.

import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  registerClient,
  startAuthorization,
  UnauthorizedError,
} from '@modelcontextprotocol/sdk/client/auth.js';

// Nothing needs to listen here: the scripted browser reads the code from the redirect.
export const REDIRECT_URL = 'http://127.0.0.1/oauth/callback';

const CLIENT_METADATA = Object.freeze({
  client_name: 'mcp-auth-rs todo demo client',
  redirect_uris: [REDIRECT_URL],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

// ---------------------------------------------------------------------------
// Transcript

/** Ordered record of what happened; `write` (optional) prints each step as it comes. */
export class Transcript {
  entries = [];

  constructor({ write } = {}) {
    this.write = write;
  }

  /** Records one step. `lines` is a string or array of strings; `data` is for programs. */
  add(step, lines, data = {}) {
    const entry = { step, lines: [lines].flat(), data };
    this.entries.push(entry);
    this.write?.(entry);
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

function shorten(value) {
  return typeof value === 'string' && value.length > 14 ? `${value.slice(0, 10)}…` : value;
}

// ---------------------------------------------------------------------------
// HTTP tracing: wraps the fetch the SDK uses, and records the steps of the flow.

function createTracingFetch(transcript, mcpUrl) {
  const endpoints = { registration: undefined, token: undefined };
  const mcp = new URL(mcpUrl).href;
  let sawAuthorizedInitialize = false;

  return async function tracingFetch(input, init = {}) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const response = await fetch(input, init);

    try {
      if (url.href === mcp) {
        const headers = new Headers(init.headers);
        const authorized = headers.has('authorization');
        const rpcMethod = jsonRpcMethod(init.body);
        const label = `${method} ${url.pathname}${rpcMethod ? ` (${rpcMethod}${authorized ? ', with Bearer token' : ', no token'})` : ''}`;
        if (response.status === 401 || response.status === 403) {
          const challenge = response.headers.get('www-authenticate');
          transcript.add('challenge', [`→ ${label}`, `← ${response.status} WWW-Authenticate: ${challenge}`], {
            status: response.status,
            authorized,
            wwwAuthenticate: challenge,
          });
        } else if (authorized && rpcMethod === 'initialize' && !sawAuthorizedInitialize) {
          sawAuthorizedInitialize = true;
          transcript.add('mcp-authorized', [`→ ${label}`, `← ${response.status}`], { status: response.status });
        }
      } else if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
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
        const body = await response.clone().json();
        const lines = [
          `→ POST ${url.href}  (grant_type=${sent.get('grant_type')}, code_verifier ${sent.has('code_verifier') ? 'sent' : 'missing'}, resource=${sent.get('resource')})`,
        ];
        if (response.ok) {
          lines.push(`← ${response.status} token_type ${body.token_type}, expires_in ${body.expires_in}, scope ${JSON.stringify(body.scope)}`);
          lines.push(...describeAccessToken(body.access_token));
        } else {
          lines.push(`← ${response.status} ${body.error}: ${body.error_description ?? ''}`);
        }
        transcript.add('token', lines, {
          status: response.status,
          resource: sent.get('resource'),
          scope: body.scope,
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

function jsonRpcMethod(body) {
  if (typeof body !== 'string') return undefined;
  try {
    const message = JSON.parse(body);
    return Array.isArray(message) ? message.map((m) => m.method).join(',') : message.method;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// The scripted browser

/** Cookies by name, with RFC 6265 path matching (enough for one origin on loopback). */
class CookieJar {
  #cookies = new Map(); // name -> { value, path }

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        const k = key.toLowerCase();
        if (k === 'path' && val.startsWith('/')) path = val;
        if (k === 'max-age' && Number(val) <= 0) expired = true;
        if (k === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matching = [...this.#cookies.values()].filter(
      ({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`),
    );
    return matching.map(({ name, value }) => `${name}=${value}`).join('; ');
  }
}

/**
 * Plays the user's browser: loads `authorizationUrl`, submits the login form
 * for `account`, and follows redirects until the one to `redirectUrl`.
 * Returns the callback's query parameters. Checks `state` and, when the
 * server supports RFC 9207, that `iss` is the expected issuer.
 */
export async function signInWithBrowser({ authorizationUrl, account, redirectUrl, expectedState, expectedIssuer, issRequired, transcript }) {
  const jar = new CookieJar();
  const get = async (url) => {
    const response = await fetch(url, { redirect: 'manual', headers: cookieHeader(jar, url) });
    jar.store(response);
    return response;
  };
  const nextUrl = (response, base) => {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) {
      throw new Error(`The authorization server answered ${response.status} where a redirect was expected.`);
    }
    return new URL(location, base).href;
  };

  const auth = new URL(authorizationUrl);
  const p = auth.searchParams;
  transcript?.add('authorize', [
    `browser → GET ${auth.origin}${auth.pathname}?response_type=${p.get('response_type')}&code_challenge_method=${p.get('code_challenge_method')}` +
      `&resource=${p.get('resource')}&scope=${p.get('scope')}&state=…`,
  ], { params: Object.fromEntries(p) });

  // 1. Authorization endpoint → the login page.
  let url = nextUrl(await get(auth.href), auth.href);
  const loginPage = await get(url);
  if (loginPage.status !== 200) throw new Error(`The login page answered ${loginPage.status}.`);
  const form = findLoginForm(await loginPage.text(), url);
  if (!form.accounts.includes(account)) {
    throw new Error(`The login page offers ${form.accounts.join(', ') || 'no accounts'}, not ${account}.`);
  }

  // 2. Submit the form as `account`, then follow redirects back to the client.
  let response = await fetch(form.action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...cookieHeader(jar, form.action) },
    body: new URLSearchParams({ login: account }),
  });
  jar.store(response);
  url = nextUrl(response, form.action);
  for (let hops = 0; !url.startsWith(redirectUrl); hops++) {
    if (hops === 5) throw new Error('Too many redirects after login.');
    response = await get(url);
    url = nextUrl(response, url);
  }

  const callback = new URL(url).searchParams;
  if (callback.has('error')) {
    throw new Error(`Authorization failed: ${callback.get('error')} ${callback.get('error_description') ?? ''}`.trim());
  }
  if (callback.get('state') !== expectedState) throw new Error('The callback `state` does not match the request.');
  const iss = callback.get('iss');
  if ((iss !== null || issRequired) && iss !== expectedIssuer) {
    throw new Error(`The callback \`iss\` (${iss}) is not the authorization server's issuer.`);
  }
  transcript?.add(
    'login',
    [
      `browser: login page → POST /interaction/…/login login=${account} → redirect to the client`,
      `callback: code received, state matches, iss ${iss === null ? 'absent' : 'matches the issuer'}`,
    ],
    { account, iss, hasCode: callback.has('code') },
  );
  return Object.fromEntries(callback);
}

function cookieHeader(jar, url) {
  const cookie = jar.header(url);
  return cookie ? { cookie } : {};
}

// The demo AS's login form: <form id="login" action=…> with <button name="login" value=…> per account.
function findLoginForm(html, pageUrl) {
  const form = /<form\b[^>]*\bid="login"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error('No login form on the login page.');
  const action = /\baction="([^"]*)"/i.exec(form[0])?.[1];
  if (!action) throw new Error('The login form has no action.');
  const accounts = [...form[1].matchAll(/<button\b[^>]*\bname="login"[^>]*\bvalue="([^"]*)"/gi)].map((m) => m[1]);
  return { action: new URL(action.replaceAll('&amp;', '&'), pageUrl).href, accounts };
}

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
  /** Set by redirectToAuthorization(); handed to transport.finishAuth(). */
  authorizationCode;

  constructor(account, transcript) {
    this.#account = account;
    this.#transcript = transcript;
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
    this.authorizationCode = callback.code;
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
 */
export async function connectAs({ mcpUrl, account, transcript = new Transcript() }) {
  const provider = new DemoOAuthProvider(account, transcript);
  const fetchTraced = createTracingFetch(transcript, mcpUrl);
  const newTransport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: fetchTraced });
  const clientInfo = { name: 'mcp-auth-rs-todo-demo', version: '0.1.0' };

  // First attempt: no token yet → 401 → discovery, registration, sign-in.
  const first = new Client(clientInfo);
  const firstTransport = newTransport();
  try {
    await first.connect(firstTransport);
    throw new Error('The MCP server accepted a request without a token.');
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  } finally {
    await firstTransport.close().catch(() => {});
  }
  if (!provider.authorizationCode) throw new Error('The sign-in did not produce an authorization code.');
  await firstTransport.finishAuth(provider.authorizationCode);

  // Second attempt, with the access token.
  const client = new Client(clientInfo);
  const transport = newTransport();
  await client.connect(transport);

  return {
    account,
    client,
    /** The decoded claims of the current access token. */
    get tokenClaims() {
      const token = provider.tokens()?.access_token;
      return token ? decodeJwt(token).payload : undefined;
    },
    /** The raw access token (for tests; never print it). */
    get accessToken() {
      return provider.tokens()?.access_token;
    },
    /** Calls a tool; returns { isError, text, value } where value is the parsed JSON text. */
    async callTool(name, args = {}) {
      const result = await client.callTool({ name, arguments: args });
      const text = result.content?.find((part) => part.type === 'text')?.text ?? '';
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      const argText = Object.keys(args).length ? ` ${JSON.stringify(args)}` : '';
      transcript.add('tool', [`${account}: ${name}${argText}`, `→ ${result.isError ? '(isError) ' : ''}${text}`], {
        account,
        name,
        args,
        isError: result.isError === true,
        value,
      });
      return { isError: result.isError === true, text, value };
    },
    close: () => client.close(),
  };
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
    resource: new URL(resource),
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
  const tokens = await exchangeAuthorization(issuer, {
    metadata,
    clientInformation,
    authorizationCode: callback.code,
    codeVerifier,
    redirectUri: REDIRECT_URL,
    resource: new URL(resource),
  });
  return tokens;
}
