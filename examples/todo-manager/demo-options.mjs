// `npm run demo -- --serve [options]`: which servers to keep running for
// your own client, read from flags or the environment. The scripted demo
// itself always runs the default setup (JWTs, DPoP allowed).

export const DEMO_USAGE = `Usage: npm run demo [-- --serve [--dpop=allowed|required|off] [--tokens=jwt|opaque] [--mode=jwt|introspection|auto] [--per-tool]]
  (no option)   run the scripted demo and exit
  --serve       start both servers with the starting account policy and keep them running
  --dpop=…      the MCP server's DPoP mode (RFC 9449); default allowed          (env DPOP)
  --tokens=…    what the authorization server issues for the MCP server:
                jwt (default) or opaque reference tokens                        (env TOKENS)
  --mode=…      how the MCP server checks tokens: jwt (local signatures),
                introspection (RFC 7662) or auto (JWTs locally, others introspected);
                default jwt, or introspection with --tokens=opaque              (env MODE)
  --per-tool    per-tool authorization: connect, list tools and call \`about\`
                without a token; OAuth starts at the first other tool call     (env PER_TOOL=1)
  PORT, AS_PORT the MCP server's and the authorization server's ports (default 3001, 3002; 0 picks free ones)`;

const CHOICES = Object.freeze({
  dpop: ['allowed', 'required', 'off'],
  tokens: ['jwt', 'opaque'],
  mode: ['jwt', 'introspection', 'auto'],
});
const ENV_NAMES = Object.freeze({ dpop: 'DPOP', tokens: 'TOKENS', mode: 'MODE' });

export class DemoUsageError extends Error {}

/**
 * Reads the demo's options: `{ serve, dpop, tokens, mode, perTool, port, asPort }`.
 * A flag wins over its environment variable.
 * @throws {DemoUsageError} for an unknown flag, a value outside its choices,
 * or opaque tokens with local-only checking.
 */
export function parseDemoOptions(argv, env = {}) {
  const flags = {};
  let serve = false;
  for (const arg of argv) {
    if (arg === '--serve') {
      serve = true;
      continue;
    }
    if (arg === '--per-tool') {
      flags.perTool = true;
      continue;
    }
    const match = /^--(dpop|tokens|mode)=(.*)$/.exec(arg);
    if (!match) throw new DemoUsageError(`Unknown option ${JSON.stringify(arg)}.`);
    flags[match[1]] = match[2];
  }
  const chosen = {};
  for (const [name, choices] of Object.entries(CHOICES)) {
    const value = flags[name] ?? env[ENV_NAMES[name]] ?? undefined;
    if (value === undefined || value === '') continue;
    if (!choices.includes(value)) throw new DemoUsageError(`--${name} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}.`);
    chosen[name] = value;
  }
  if (!serve && Object.keys(flags).length > 0) {
    throw new DemoUsageError('--dpop, --tokens, --mode and --per-tool choose what --serve starts: add --serve.');
  }
  const tokens = chosen.tokens ?? 'jwt';
  const mode = chosen.mode ?? (tokens === 'opaque' ? 'introspection' : 'jwt');
  if (tokens === 'opaque' && mode === 'jwt') {
    throw new DemoUsageError('Opaque tokens cannot be checked locally: use --mode=introspection or --mode=auto.');
  }
  return {
    serve,
    dpop: chosen.dpop ?? 'allowed',
    tokens,
    mode,
    perTool: flags.perTool === true || env.PER_TOOL === '1',
    port: portOf(env.PORT, 3001, 'PORT'),
    asPort: portOf(env.AS_PORT, 3002, 'AS_PORT'),
  };
}

function portOf(value, fallback, name) {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new DemoUsageError(`${name} must be a port number from 0 to 65535.`);
  return port;
}

/**
 * What a client needs to connect to the servers `--serve` started, as lines
 * of text: the URLs, the modes, the introspection client when the MCP server
 * introspects, and how to run the MCP Inspector.
 */
export function serveHelp({ todo, as, options, introspectionEndpoint }) {
  const lines = [
    `mcp-auth-rs demo servers (Ctrl+C to stop), with the starting account policy:`,
    `  MCP server            ${todo.url}  (resource ${todo.resource})`,
    `  authorization server  ${as.issuer}`,
    `  accounts              user → ${as.accountScopes('user').join(' ')}; admin → ${as.accountScopes('admin').join(' ')}`,
    `  tokens                ${options.tokens === 'opaque' ? 'opaque reference tokens' : 'JWT access tokens'}, checked by ${describeMode(options.mode)}`,
    `  DPoP                  ${describeDpop(options.dpop)}`,
  ];
  if (options.perTool) {
    lines.push('  per-tool              `about`, connecting and listing tools need no token; the other tools do (OAuth at the first call)');
  }
  if (options.mode !== 'jwt') {
    const { clientId, clientSecret } = as.introspectionClient;
    lines.push(
      `  introspection         ${introspectionEndpoint}`,
      `                        the MCP server's client: id ${clientId}, secret ${clientSecret}`,
      `                        (client_secret_basic; only this client may introspect)`,
    );
  }
  lines.push(
    '',
    'Connect the MCP Inspector (transport "Streamable HTTP", the MCP server URL above, Connect):',
    '  Node 22.19 or newer:  npx @modelcontextprotocol/inspector',
    '  Node 20:              npx @modelcontextprotocol/inspector@0.15.0',
    '  (Inspector 0.16 and newer need Node 22.7.5 or newer, 2.x needs Node 22.19 or newer.)',
    '  It gets the 401, discovers the authorization server, registers itself and opens the',
    '  demo login page: pick "user" or "admin", then call the tools. As "user", deleting',
    "  admin's todo answers 403 insufficient_scope (delete:todos), and the step-up is refused.",
    `  Use ${new URL(todo.url).host} exactly (not localhost): the resource is ${todo.resource}.`,
  );
  if (options.dpop === 'required') {
    lines.push('  DPoP is required: only a client that binds its tokens to a key (DPoP) can call the tools.');
  }
  return lines;
}

function describeMode(mode) {
  if (mode === 'jwt') return 'local signature checks (jwt)';
  if (mode === 'introspection') return 'the introspection endpoint (introspection)';
  return 'local checks for JWTs, introspection for anything else (auto)';
}

function describeDpop(dpop) {
  if (dpop === 'required') return 'required: only DPoP-bound tokens, each request with its proof';
  if (dpop === 'off') return 'off: Bearer tokens only';
  return 'allowed: Bearer tokens, and DPoP-bound tokens with their proofs';
}
