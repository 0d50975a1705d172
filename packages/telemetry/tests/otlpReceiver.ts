import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP export request as received. */
export interface OtlpRequest {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A loopback OTLP/HTTP endpoint that keeps what it receives (answers as a collector does). */
export async function startOtlpReceiver() {
  const requests: OtlpRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    requests.push({ path: request.url ?? '', contentType: String(request.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
    const json = String(request.headers['content-type']).includes('json');
    response.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
    response.end(json ? '{}' : Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
