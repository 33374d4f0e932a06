// The one scripted part of the demo: the user's browser. It loads the
// authorization URL, reads the demo login page, submits its form for the
// chosen account, and picks the code off the redirect (checking `state` and
// `iss`). Nothing has to listen on the redirect URI.

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

