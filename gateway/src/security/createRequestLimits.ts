import type { IncomingMessage } from 'node:http';
import { AppError, requestError } from '@novacron/errors';
import { createRateLimiter, type RateLimiter } from '@novacron/guards';
import type { Logger } from '@novacron/server-kit';
import type { GatewayConfig } from '../config.ts';

/**
 * The gateway's request budgets, shared by HTTP and WebSocket: one per client address, counted
 * before the token is verified (a flood of invalid tokens costs the flooder, not the verifier), and
 * one per tenant once the caller is known. Both live in Redis when `REDIS_URL` is set and are
 * counted in this process while Redis is unavailable.
 */
export interface RequestLimits {
  /** Counts a request or connection attempt from `address`; throws RATE_LIMITED (HTTP 429) past the budget. */
  admitAddress(address: string): Promise<void>;
  /** Counts a request of `tenantId`; throws RATE_LIMITED (HTTP 429) past the budget. */
  admitTenant(tenantId: string): Promise<void>;
  /** Where the counters live. */
  readonly kind: RateLimiter['kind'];
  close(): Promise<void>;
}

/** Builds both budgets from the gateway's configuration. */
export function createRequestLimits(config: GatewayConfig, logger: Logger): RequestLimits {
  const shared = {
    windowSeconds: config.limits.rateLimitWindowSeconds,
    redisUrl: config.events.redisUrl,
    redisPrefix: config.events.redisPrefix,
    onError: throttled(10_000, (error: unknown) => logger.warn({ err: error }, 'rate limiter could not reach Redis; counting in this process until it is back')),
  };
  const tenants = createRateLimiter({ ...shared, points: config.limits.rateLimitPoints });
  const addresses = createRateLimiter({ ...shared, points: config.limits.addressRateLimitPoints });
  const admit = async (limiter: RateLimiter, key: string, message: string) => {
    const decision = await limiter.consume(key);
    if (decision.allowed) return;
    throw requestError('RATE_LIMITED', message, { retryAfterSeconds: decision.retryAfterSeconds }, { 'retry-after': String(decision.retryAfterSeconds) });
  };
  return {
    kind: tenants.kind,
    admitAddress: (address) => admit(addresses, `address:${address}`, 'too many requests from this address; retry later'),
    admitTenant: (tenantId) => admit(tenants, `tenant:${tenantId}`, 'too many requests for this tenant; retry later'),
    close: async () => {
      await Promise.all([tenants.close(), addresses.close()]);
    },
  };
}

/**
 * The address a request came from: the peer of the TCP connection. Proxies' `X-Forwarded-For` is
 * not trusted (any client can send it); behind a load balancer, limit per address there.
 */
export function clientAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/** The same error without its HTTP details, for transports that are not HTTP (graphql-ws). */
export function withoutHttp(error: AppError): AppError {
  const { http: _http, code: _code, ...details } = error.extensions as Record<string, unknown>;
  return new AppError(error.code, error.message, details);
}

/** Calls `report` at most once per interval (a Redis outage would otherwise log once per request). */
function throttled<T>(intervalMs: number, report: (value: T) => void): (value: T) => void {
  let last = 0;
  return (value) => {
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    report(value);
  };
}
