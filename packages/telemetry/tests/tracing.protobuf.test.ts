import { afterAll, describe, expect, it } from 'vitest';
import { startTracing, withSpan } from '../src/index.ts';
import { startOtlpReceiver } from '@novacron/testing';

const receiver = await startOtlpReceiver();
afterAll(() => receiver.close());

describe('startTracing (OTLP http/protobuf)', () => {
  it('exports spans as protobuf when OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.endpoint}/v1/traces`;
    const tracing = startTracing('telemetry-test');
    await withSpan('protobuf-span', {}, async () => {});
    await tracing.shutdown();
    const exported = receiver.requests.filter((request) => request.path === '/v1/traces');
    expect(exported.length).toBeGreaterThan(0);
    expect(exported[0]?.contentType).toBe('application/x-protobuf');
    // The span name travels as a protobuf string field: its bytes appear in the body.
    expect(Buffer.concat(exported.map((request) => request.body)).includes(Buffer.from('protobuf-span'))).toBe(true);
  });
});
