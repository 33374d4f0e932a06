// A web-standard handler (docs/adapters.md, "Web-standard"): `deno serve --allow-ffi
// --allow-read --allow-env --allow-net web.mjs`, `bun run web.mjs`, or any
// runtime that serves `export default { fetch }`. ISSUER: your authorization
// server; RESOURCE: this server's /mcp URL.
import { MCPAuth, exposeWwwAuthenticate, fetchServerConfig } from 'mcp-auth-rs';

const resource = process.env.RESOURCE ?? 'http://127.0.0.1:3000/mcp';
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oauth' })] } },
});
const gate = mcpAuth.webBearerAuth('jwt', { resource });

export default {
  async fetch(request) {
    const metadata = mcpAuth.protectedResourceMetadataResponse(request);
    if (metadata) return metadata;
    if (new URL(request.url).pathname !== '/mcp') return new Response('Not found', { status: 404 });
    const auth = await gate(request);
    if (auth instanceof Response) return auth; // 400/401/403/500/503, exactly as bearerAuth sends it
    // `undefined` is a CORS preflight: answer it as your CORS policy says.
    if (!auth) return new Response(null, { status: 204 });
    // Lets browsers read a later 403 challenge (per-tool scopes); `auth` makes that
    // challenge name the scheme the request used when the resource takes DPoP.
    return exposeWwwAuthenticate(Response.json({ subject: auth.subject }), auth);
  },
};
