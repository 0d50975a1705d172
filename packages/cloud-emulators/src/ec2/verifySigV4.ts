/**
 * Verifies an AWS Signature Version 4 header. Hand-rolled on purpose: an implementation independent
 * of the SDK's signer is what lets the emulator catch a request the SDK signed with the wrong key.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a signature was refused, or the identity and region it proves. */
export type SigV4Result = { ok: true; accessKeyId: string; region: string; service: string } | { ok: false; code: 'AuthFailure' | 'SignatureDoesNotMatch' | 'MissingAuthenticationToken'; message: string };

const authorizationPattern = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/** Checks the request's signature against the secret of the access key it names. */
export function verifySigV4(request: IncomingMessage, body: Buffer, secretFor: (accessKeyId: string) => string | undefined): SigV4Result {
  const header = request.headers.authorization;
  if (!header) return { ok: false, code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' };
  const match = authorizationPattern.exec(header);
  if (!match) return { ok: false, code: 'AuthFailure', message: 'Authorization header is not a SigV4 header' };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  const secret = secretFor(accessKeyId!);
  if (secret === undefined) return { ok: false, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date!)) return { ok: false, code: 'AuthFailure', message: 'X-Amz-Date does not match the credential scope date' };
  const url = new URL(request.url ?? '/', 'http://emulator');
  const query = [...url.searchParams.entries()].map(([key, value]) => [encode(key), encode(value)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = signedHeaderList!.split(';');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof request.headers['x-amz-content-sha256'] === 'string' ? request.headers['x-amz-content-sha256'] : sha256Hex(body);
  const canonicalRequest = [request.method, url.pathname.split('/').map(encode).join('/') || '/', query.map(([key, value]) => `${key}=${value}`).join('&'), canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided' };
  }
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service! };
}
