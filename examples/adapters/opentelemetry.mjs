// Auth metrics for Prometheus, on any adapter (here Express); docs/observability.md.
// ISSUER: your authorization server; PORT: where to listen; METRICS_PORT: where Prometheus scrapes.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import express from 'express';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { instrument } from 'mcp-auth-rs/opentelemetry';

const port = Number(process.env.PORT ?? 3000);
const resource = `http://127.0.0.1:${port}/mcp`;
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: 'oauth' })] } },
});

// Before any bearerAuth: middleware created later report to it. Serves http://127.0.0.1:9464/metrics.
const prometheus = new PrometheusExporter({ host: '127.0.0.1', port: Number(process.env.METRICS_PORT ?? 9464) });
instrument(mcpAuth, { meterProvider: new MeterProvider({ readers: [prometheus] }) });

const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
app.get('/mcp', mcpAuth.bearerAuth('jwt', { resource }), (req, res) => res.json({ subject: req.auth.subject }));
app.listen(port, '127.0.0.1', () => console.log(`listening on ${resource}`));
