// Custom verifiers for providers whose access tokens are opaque and that have
// no RFC 7662 introspection: Google (tokeninfo) and GitHub (the OAuth app
// "check a token" API). Each binds the token to *your* OAuth client; a
// userinfo (or GitHub `/user`) call would not: it succeeds for any valid
// token, whichever client it was issued to. See docs/providers.md.
//
// Use with `mcpAuth.bearerAuth(verifier, { resource, audience: clientId })`:
// the returned AuthInfo's `audience` is the client id, so the wrapper's own
// audience, issuer and expiry checks apply on top of the ones here.

import { MCPAuthTokenVerificationError } from 'mcp-auth-rs';

const timeoutMs = 5000;
const invalid = () => new MCPAuthTokenVerificationError('invalid_token');

/** Issuer string to configure for Google (`authorizationServers[].metadata.issuer`). */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * Google OAuth access tokens, checked with the tokeninfo endpoint: `aud` must
 * be your OAuth client id, `exp` in the future. `tokeninfoUrl` is injectable
 * for tests.
 */
export function googleTokenVerifier({ clientId, tokeninfoUrl = 'https://oauth2.googleapis.com/tokeninfo' }) {
  return async (token) => {
    const url = new URL(tokeninfoUrl);
    url.searchParams.set('access_token', token);
    const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    // Google answers an unknown, expired or revoked token with 400.
    if (response.status === 400) throw invalid();
    if (!response.ok) throw new Error(`Google tokeninfo answered ${response.status}`);
    /** @type {{ aud?: string, azp?: string, exp?: string, scope?: string, sub?: string }} */
    const info = await response.json();
    // `exp` arrives as a string of seconds.
    const expiresAt = Number(info.exp);
    if (info.aud !== clientId || !Number.isFinite(expiresAt) || expiresAt <= Date.now() / 1000) throw invalid();
    return {
      token,
      issuer: GOOGLE_ISSUER,
      clientId: typeof info.azp === 'string' ? info.azp : info.aud,
      scopes: typeof info.scope === 'string' ? info.scope.split(' ').filter(Boolean) : [],
      audience: info.aud,
      expiresAt,
      subject: typeof info.sub === 'string' ? info.sub : undefined,
      claims: info,
    };
  };
}

/** Issuer string to configure for GitHub (GitHub has no RFC 8414 issuer; any fixed string works). */
export const GITHUB_ISSUER = 'https://github.com/login/oauth';

/**
 * GitHub OAuth app (`gho_`) and GitHub App user (`ghu_`) tokens, checked with
 * `POST /applications/{client_id}/token` under your app's basic auth: the
 * token must belong to your app, and not be past `expires_at` when it has one.
 * `apiUrl` is injectable for tests (and GitHub Enterprise Server).
 */
export function githubTokenVerifier({ clientId, clientSecret, apiUrl = 'https://api.github.com' }) {
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  return async (token) => {
    const response = await fetch(`${apiUrl}/applications/${encodeURIComponent(clientId)}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        accept: 'application/vnd.github+json',
        'content-type': 'application/json',
        'x-github-api-version': '2022-11-28',
      },
      body: JSON.stringify({ access_token: token }),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // 404: not a token of this app (or revoked); 422: not a token at all.
    if (response.status === 404 || response.status === 422) throw invalid();
    if (!response.ok) throw new Error(`GitHub check-token answered ${response.status}`);
    /** @type {{ app?: { client_id?: string, name?: string }, expires_at?: string | null, scopes?: unknown, user?: { id?: number, login?: string } }} */
    const body = await response.json();
    if (body?.app?.client_id !== clientId) throw invalid();
    const expiresAt = body.expires_at == null ? undefined : Date.parse(body.expires_at) / 1000;
    if (expiresAt !== undefined && !(expiresAt > Date.now() / 1000)) throw invalid();
    return {
      token,
      issuer: GITHUB_ISSUER,
      clientId,
      scopes: Array.isArray(body.scopes) ? body.scopes.filter((s) => typeof s === 'string') : [],
      audience: clientId,
      expiresAt,
      subject: body.user?.id === undefined ? undefined : String(body.user.id),
      claims: { login: body.user?.login, app: body.app?.name },
    };
  };
}
