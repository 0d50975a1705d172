import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { internalTokenHeader, type InternalPrincipal } from '@novacron/auth';
import { AppError, appError, badInput, httpStatusFor } from '@novacron/errors';
import type { Logger } from '@novacron/server-kit';
import { authorize } from '@novacron/subgraph-kit';
import { reportRefusals, type IngestOptions, type RefusalCounter } from '../domain/ingestSamples.ts';
import type { Sql } from '@novacron/db';
import { readOtlpProtobuf } from './decodeOtlpProtobuf.ts';
import { ingestOtlpResources } from './ingestOtlpMetrics.ts';
import { parseOtlpJson, type OtlpResourceMetrics } from './parseOtlpJson.ts';

const gunzipAsync = promisify(gunzip);

/** What the OTLP endpoint needs. */
export interface OtlpEndpoint {
  sql: Sql;
  logger: Logger;
  maxBodyBytes: number;
  /** Verifies an internal token (the endpoint, like every field, trusts only NovaCron's gateway). */
  verifyInternalToken(token: string): Promise<InternalPrincipal>;
  ingestOptions(): IngestOptions;
  /** Told the refusals of every committed export (the Prometheus counter). */
  countRefusals: RefusalCounter;
}

/**
 * `POST /v1/metrics`: OTLP/HTTP metrics export, JSON or protobuf encoding (optionally gzip), for an operator of
 * the tenant. Answers the OTLP `ExportMetricsServiceResponse` (with `partialSuccess` counting the
 * refused data points), or a coded error (`BAD_USER_INPUT` with the JSON path as `field`) with the
 * status the error registry gives; nothing is stored for a refused export.
 */
export async function handleOtlpRequest(endpoint: OtlpEndpoint, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (request.method !== 'POST') throw badInput('method', 'OTLP metrics are sent with POST');
    const header = request.headers[internalTokenHeader];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw appError('UNAUTHENTICATED', 'this endpoint accepts requests from the NovaCron gateway only');
    const principal = await endpoint.verifyInternalToken(token).catch(() => {
      throw appError('UNAUTHENTICATED', 'invalid internal token');
    });
    const identity = authorize({ principal }, 'operator');
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'application/x-protobuf') {
      throw badInput('content-type', `OTLP/HTTP is accepted as application/json or application/x-protobuf, got "${contentType || 'none'}"`);
    }
    let body = await readBody(request, endpoint.maxBodyBytes);
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'gzip') body = await gunzipAsync(body, { maxOutputLength: endpoint.maxBodyBytes }).catch(() => {
      throw badInput('body', 'the body is not valid gzip, or inflates beyond the size limit');
    });
    else if (encoding !== 'identity') throw badInput('content-encoding', `unsupported content-encoding "${encoding}"`);
    let resources: OtlpResourceMetrics[];
    if (contentType === 'application/x-protobuf') resources = readOtlpProtobuf(body);
    else {
      let decoded: unknown;
      try {
        decoded = JSON.parse(body.toString('utf8'));
      } catch {
        throw badInput('body', 'the body is not valid JSON');
      }
      resources = parseOtlpJson(decoded);
    }
    const result = await ingestOtlpResources(endpoint.sql, identity.tenantId, resources, endpoint.ingestOptions());
    reportRefusals(endpoint.countRefusals, 'otlp', result);
    const rejected = Object.values(result.refused).reduce((sum, count) => sum + (count ?? 0), 0);
    const reasons = Object.entries(result.refused).map(([reason, count]) => `${count} ${reason}`).join(', ');
    send(response, 200, rejected > 0 ? { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: `refused: ${reasons}` } } : {});
  } catch (error) {
    const appErr = error instanceof AppError ? error : appError('INTERNAL_SERVER_ERROR', 'Internal server error', {}, error);
    if (appErr.code === 'INTERNAL_SERVER_ERROR') endpoint.logger.error({ err: error }, 'OTLP export failed');
    const { code, ...details } = appErr.extensions as Record<string, unknown>;
    send(response, httpStatusFor(appErr.code), { errors: [{ message: appErr.message, extensions: { code, ...details } }] });
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(request.headers['content-length'] ?? 0) > limit) {
    request.resume();
    throw badInput('body', `an export may be at most ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw badInput('body', `an export may be at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(payload));
}
