// The Node demo's embedded authorization server (../todo-manager/authorization-server.mjs,
// oidc-provider on 127.0.0.1), driven by the Python demo over stdin/stdout:
// it prints one JSON line {"issuer": …} once listening, then answers each JSON
// command line with one JSON line:
//   {"resource": "http://127.0.0.1:…/mcp"}            → tokens may be issued for it
//   {"grant": {"account": "user", "scopes": ["…"]}}   → the account's policy grows
// It stops when stdin closes (the demo exits or dies).

import { createInterface } from 'node:readline';
import { startAuthorizationServer } from '../todo-manager/authorization-server.mjs';

const as = await startAuthorizationServer({ port: 0 });
const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
reply({ issuer: as.issuer });

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  try {
    const command = JSON.parse(line);
    if (typeof command.resource === 'string') as.addResource(command.resource);
    else if (command.grant) as.grantScopes(command.grant.account, command.grant.scopes);
    else throw new TypeError(`Unknown command: ${line}`);
    reply({ ok: true });
  } catch (error) {
    reply({ ok: false, error: String(error?.message ?? error) });
  }
});
lines.on('close', async () => {
  await as.close();
  process.exit(0);
});
