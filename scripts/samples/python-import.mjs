// The import phase of scripts/check-samples.mjs: every marked Python sample is
// imported (one marked `run` is run) in the virtualenv's Python, each in a
// fresh process, against loopback test authorization servers.
//
// Most samples call `fetch_server_config("https://auth.example.com", …)` at
// module level, so importing them fetches metadata. The sample as written
// (what the doc shows, and what mypy checks) stays as it is; a second copy is
// imported, in which every issuer string literal passed to a fetch function
// (ISSUER_ARGUMENT) is replaced, wherever that exact quoted string occurs in
// the sample, by the same URL with its origin swapped for the origin of a
// loopback server that serves that issuer's path (one server per distinct
// issuer): "https://auth.example.com/oidc" -> "http://127.0.0.1:PORT/oidc".
// The servers are __test__/helpers/auth-server.mjs (RFC 8414 and OIDC
// documents, path-inserted too, and a JWKS).
// Every import and run gets the environment of sampleEnv (ISSUER, for the
// samples that read their issuer from it: one more loopback server). Only
// 127.0.0.1 is reached; the servers stop at the end whatever happens.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, relative } from 'node:path';

import { startAuthServer } from '../../__test__/helpers/auth-server.mjs';
import { generateKey } from '../../__test__/helpers/keys.mjs';

export const IMPORT_TIMEOUT_MS = 60_000;

/** A string literal given as the first argument of a metadata fetch: quote, URL. */
const ISSUER_ARGUMENT =
  /\bfetch_server_config(?:_async|_by_well_known_url)?\(\s*(?:\w+\s*=\s*)?(["'])(https?:\/\/[^"'\s]+)\1/g;
/** The discovery segment of a well-known URL; what is left is the issuer's path. */
const WELL_KNOWN = /\/\.well-known\/(?:oauth-authorization-server|openid-configuration)/;

/** The fixed API key whose hash CI_BOT_KEY_HASH holds (as hash_api_key computes it). */
const SAMPLE_API_KEY = 'mcpk_0123456789abcdefghijklmnopqrstuv';

/**
 * The environment names samples read (`os.environ["NAME"]`), given to every
 * import and run; `issuer` is the loopback issuer ISSUER names. A sample that
 * reads another name fails with KeyError until it is added here.
 */
function sampleEnv(issuer, url) {
  return {
    ISSUER: issuer,
    RESOURCE: 'https://mcp.example.com/mcp',
    CLIENT_SECRET: 'sample-client-secret',
    INTROSPECTION_SECRET: 'sample-introspection-secret',
    FLEET_SECRET: 'sample-fleet-secret-of-at-least-32-bytes',
    CI_BOT_KEY_HASH: `sha256:${createHash('sha256').update(SAMPLE_API_KEY).digest('base64url')}`,
    BILLING_URL: url,
  };
}

/**
 * The issuer literals of a sample: { quoted, url, origin, issuerPath, rest } per
 * distinct quoted string (`quoted` with its quotes; `issuerPath` the path the
 * server serves: the URL's path without a well-known segment or a trailing /;
 * `rest` what follows the URL's scheme and host, kept by the rewrite).
 */
export function issuerLiterals(code) {
  const found = new Map();
  for (const [, quote, url] of code.matchAll(ISSUER_ARGUMENT)) {
    const quoted = quote + url + quote;
    if (found.has(quoted) || !URL.canParse(url)) continue; // not a URL: the import says why
    const { origin, pathname } = new URL(url);
    const issuerPath = pathname.replace(WELL_KNOWN, '').replace(/\/+$/, '');
    found.set(quoted, { quoted, url, origin, issuerPath, rest: url.replace(/^https?:\/\/[^/?#]*/, '') });
  }
  return [...found.values()];
}

/** `code` with each literal's every exact occurrence given the server's origin (`origins`: issuer → origin). */
export function rewrite(code, literals, origins) {
  let out = code;
  for (const { quoted, origin, issuerPath, rest } of literals) {
    const replaced = quoted[0] + origins.get(origin + issuerPath) + rest + quoted[0];
    out = out.split(quoted).join(replaced);
  }
  return out;
}

/** Starts a loopback metadata + JWKS server for `issuerPath`. */
function serverFor(issuerPath, key) {
  return startAuthServer({
    issuerPath,
    keys: [key],
    serve: ['oauth', 'oidc', 'oidc-path-inserted'],
  });
}

/** Runs `python args` in `cwd` with `env`; resolves { ok, output, timedOut }. */
function python(executable, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(executable, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => (output += String(error)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0 && !timedOut, output, timedOut });
    });
  });
}

/** Python's output without the frames of the import machinery (and their source lines). */
function tidy(output) {
  const machinery = /^(\s*)File "(<frozen [^"]+>|<string>|[^"]*\/importlib\/__init__\.py)"/;
  const kept = [];
  let skipping = null; // the indentation of a dropped frame: deeper lines are its source
  for (const line of output.trim().split('\n')) {
    const frame = machinery.exec(line);
    if (frame) skipping = frame[1].length;
    else if (skipping !== null && line.length - line.trimStart().length > skipping) continue;
    else {
      skipping = null;
      kept.push(line);
    }
  }
  return kept.join('\n');
}

/** The document line of the deepest traceback frame in the sample's copy (else the block's first line). */
function failedLine(sample, file, output) {
  const frames = [...output.matchAll(/File "([^"]+)", line (\d+)/g)].filter(([, path]) => path === file);
  return frames.length > 0 ? sample.line + Number(frames.at(-1)[2]) - 1 : sample.line;
}

/** A path as the output shows it: relative to the working directory when under it. */
const shown = (path) => (relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path));

const IMPORT = 'import importlib, sys; sys.path.insert(0, sys.argv[1]); importlib.import_module(sys.argv[2])';

/**
 * Imports each sample (runs it as a script when marked `run`) from its
 * rewritten copy under `dir`. `sample.file` names the as-written copy (its
 * base name is the module's). Failures go to `fail(sample, message)`.
 * Resolves { imported, ran }: how many succeeded.
 */
export async function importSamples(samples, { executable, dir, fail, timeoutMs = IMPORT_TIMEOUT_MS, parallel = Math.min(4, availableParallelism()) }) {
  if (samples.length === 0) return { imported: 0, ran: 0 };
  mkdirSync(dir, { recursive: true });
  const key = generateKey('RS256', { kid: 'samples' });
  const servers = [];
  try {
    const literals = new Map(samples.map((s) => [s, issuerLiterals(s.code)]));
    const origins = new Map(); // issuer (origin + path) → the loopback server's origin
    for (const { origin, issuerPath } of [...literals.values()].flat()) {
      if (origins.has(origin + issuerPath)) continue;
      const server = await serverFor(issuerPath, key);
      servers.push(server);
      origins.set(origin + issuerPath, server.url);
    }
    const envServer = await serverFor('', key);
    servers.push(envServer);
    const env = { ...process.env, ...sampleEnv(envServer.issuer, envServer.url), PYTHONDONTWRITEBYTECODE: '1' };

    const counts = { imported: 0, ran: 0 };
    const one = async (sample) => {
      const file = join(dir, basename(sample.file));
      writeFileSync(file, `${rewrite(sample.code, literals.get(sample), origins)}\n`);
      const module = basename(file, '.py');
      const args = sample.run ? [file] : ['-c', IMPORT, dir, module];
      const { ok, output, timedOut } = await python(executable, args, { cwd: dir, env, timeoutMs });
      if (ok) counts[sample.run ? 'ran' : 'imported'] += 1;
      else {
        const what = sample.run ? 'run' : 'import';
        const why = timedOut ? `${what} timed out after ${timeoutMs / 1000} s` : `${what} failed`;
        fail(sample, `${sample.doc}:${failedLine(sample, file, output)}: ${why} (${shown(file)}):\n${tidy(output)}`);
      }
    };
    const queue = [...samples];
    const worker = async () => {
      while (queue.length > 0) await one(queue.shift());
    };
    await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
    return counts;
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}
