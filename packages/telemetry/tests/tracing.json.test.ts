import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, createOperationTelemetry, createMetrics, currentTraceContext, startTracing, tracingEnabled, withServerSpan, withSpan } from '../src/index.ts';
import { startOtlpReceiver } from '@novacron/testing';

const receiver = await startOtlpReceiver();
afterAll(() => receiver.close());

describe('startTracing (OTLP http/json)', () => {
  it('is off unless an exporter is configured', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x' })).toBe(true);
    expect(startTracing('off', {}).enabled).toBe(false);
  });

  it('exports a continued trace, linked operation spans and provider calls, and puts trace ids in logs', async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    const tracing = startTracing('telemetry-test');
    expect(tracing.enabled).toBe(true);
    const lines: string[] = [];
    const logger = createLogger('test', 'info', 'json', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const clientTrace = '0af7651916cd43dd8448eb211c80319c';
    let stored: string | null = null;
    await withServerSpan('POST /graphql', { traceparent: `00-${clientTrace}-b7ad6b7169203331-01` }, {}, async () => {
      stored = currentTraceContext();
      logger.info('accepted');
    });
    expect(stored).toMatch(new RegExp(`^00-${clientTrace}-[0-9a-f]{16}-01$`));
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    const telemetry = createOperationTelemetry(metrics);
    const driver = telemetry.driver({ name: 'sim', create: async () => ({ providerId: 'i-1' }), validate: () => [] }, 'sim');
    await telemetry.execution({ id: 'op-1', kind: 'CREATE', provider: 'sim', region: 'r1', createdAt: new Date(), traceContext: stored }, async () => {
      await telemetry.step('provision', () => driver.create());
      driver.validate();
    }, () => ({ status: 'SUCCEEDED', finishedAt: new Date() }));
    await withSpan('outside', {}, async () => {});
    await tracing.shutdown();

    const spans = receiver.spans();
    expect(receiver.requests.every((request) => request.contentType.startsWith('application/json'))).toBe(true);
    const server = spans.find((span) => span.name === 'POST /graphql');
    expect(server?.service).toBe('telemetry-test');
    expect(server?.traceId).toBe(clientTrace);
    expect(server?.parentSpanId).toBe('b7ad6b7169203331');
    const execution = spans.find((span) => span.name === 'operation CREATE');
    expect(execution?.links[0]?.traceId).toBe(clientTrace);
    const step = spans.find((span) => span.name === 'step provision');
    const call = spans.find((span) => span.name === 'provider sim.create');
    expect(step?.parentSpanId).toBe(execution?.spanId);
    expect(call?.parentSpanId).toBe(step?.spanId);
    expect(spans.some((span) => span.name.includes('validate'))).toBe(false);
    const logged = JSON.parse(lines[0] ?? '{}') as { trace_id?: string; span_id?: string };
    expect(logged.trace_id).toBe(clientTrace);
    expect(logged.span_id).toBe(server?.spanId);
    expect(await metrics.scrape()).toContain('novacron_provider_api_calls_total{provider="sim",call="create"} 1');
  });
});
