import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './createMetrics.ts';

/** A listening metrics endpoint. */
export interface RunningMetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options for {@link startMetricsServer}. */
export interface MetricsServerOptions {
  metrics: Metrics;
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

/**
 * Serves `GET /metrics` in the Prometheus text format on a port of its own, apart from the public
 * GraphQL port: scrapes never compete with client traffic for admission, and the port can stay
 * inside the cluster network.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const { registry } = options.metrics;
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.statusCode = 404;
      response.end('not found\n');
      return;
    }
    try {
      const body = await registry.metrics();
      response.setHeader('content-type', registry.contentType);
      response.end(body);
    } catch (error) {
      response.statusCode = 500;
      response.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
