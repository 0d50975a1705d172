import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRole, isTenantId, signDevelopmentToken, type DevelopmentKeys } from '@novacron/auth';
import { AppError, httpStatusFor } from '@novacron/errors';
import sirv from 'sirv';

/** Options for {@link createWebHandler}. */
export interface WebHandlerOptions {
  /** The built dashboard (web/dist); when it is missing only the /auth endpoints answer. */
  root: string;
  /** Keys for `POST /auth/dev-token`; null refuses it (production, or a configured issuer). */
  developmentKeys: DevelopmentKeys | null;
  /** What the dashboard needs to sign in with OpenID Connect (served at `GET /auth/config`). */
  oidc: { issuer: string | undefined; clientId: string | undefined; scope: string; audience: string | undefined };
  /** Admits a request from the client's address (the gateway's address rate limit); throws RATE_LIMITED. */
  admit(request: IncomingMessage): Promise<void>;
}

const devTokenTtlSeconds = 3600;
const maxDevTokenBody = 4_096;

/** Paths that belong to the platform, not the dashboard (metrics live on a port of their own). */
const reservedPaths = ['/metrics', '/health', '/ready', '/v1', '/auth'];

/**
 * The gateway's non-GraphQL public paths: `GET /auth/config` (how the dashboard signs in),
 * `POST /auth/dev-token` (development only), and the dashboard's static files with `sirv` (content
 * types, ETags, no path traversal) falling back to index.html for the app's own routes.
 */
export function createWebHandler(options: WebHandlerOptions): (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean> {
  const statics = existsSync(options.root)
    ? sirv(options.root, {
        single: true,
        etag: true,
        dev: false,
        setHeaders: (response, pathname) => {
          response.setHeader('x-content-type-options', 'nosniff');
          // Hashed assets never change; index.html must be revalidated to pick up a new build.
          response.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      })
    : null;
  return async (request, response, url) => {
    if (url.pathname === '/auth/config' && request.method === 'GET') {
      sendJson(response, 200, {
        mode: options.developmentKeys ? 'development' : 'oidc',
        issuer: options.oidc.issuer ?? null,
        clientId: options.oidc.clientId ?? null,
        scope: options.oidc.scope,
        audience: options.oidc.audience ?? null,
      });
      return true;
    }
    if (url.pathname === '/auth/dev-token') {
      await serveDevToken(options, request, response);
      return true;
    }
    if (!statics || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    // Operational paths are never the app's routes: no index.html fallback answers them on this public port.
    if (reservedPaths.some((reserved) => url.pathname === reserved || url.pathname.startsWith(`${reserved}/`))) return false;
    await new Promise<void>((resolve) => {
      statics(request, response, () => {
        sendJson(response, 404, { error: 'not found' });
        resolve();
      });
      response.once('finish', () => resolve());
      response.once('close', () => resolve());
    });
    return true;
  };
}

async function serveDevToken(options: WebHandlerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    await options.admit(request);
    if (request.method !== 'POST') throw new AppError('BAD_REQUEST', 'POST a JSON body { tenant, role }');
    if (!options.developmentKeys) throw new AppError('FORBIDDEN', 'development tokens are only available in development mode (NOVACRON_DEV=1)');
    // A JSON content type cannot be sent by a plain HTML form, so another site cannot mint tokens through a visitor's browser.
    if (!request.headers['content-type']?.startsWith('application/json')) throw new AppError('BAD_REQUEST', 'the body must be application/json');
    const body = await readJson(request);
    const { tenant, role } = body as { tenant?: unknown; role?: unknown };
    if (typeof tenant !== 'string' || !isTenantId(tenant)) throw new AppError('BAD_USER_INPUT', 'tenant must be 1–63 characters of a-z, 0-9 and -, not starting with -', { field: 'tenant' });
    if (typeof role !== 'string' || !isRole(role)) throw new AppError('BAD_USER_INPUT', 'role must be viewer, operator or admin', { field: 'role' });
    const token = await signDevelopmentToken({ keys: options.developmentKeys, tenant, roles: [role], subject: 'web-developer', ttlSeconds: devTokenTtlSeconds });
    sendJson(response, 200, { token, expiresAt: new Date(Date.now() + devTokenTtlSeconds * 1000).toISOString() });
  } catch (error) {
    const appError = error instanceof AppError ? error : new AppError('INTERNAL_SERVER_ERROR', 'could not mint a development token');
    sendJson(response, httpStatusFor(appError.code), { errors: [{ message: appError.message, extensions: appError.extensions }] });
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxDevTokenBody) throw new AppError('PAYLOAD_TOO_LARGE', 'request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new AppError('BAD_REQUEST', 'the body is not valid JSON');
  }
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.setHeader('cache-control', 'no-store');
  response.end(JSON.stringify(payload));
}
