/**
 * Who the dashboard acts as. The token lives in memory and in sessionStorage (it survives a reload of
 * this tab, ends with the tab), never in localStorage, where any later script of the origin would find it.
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

/** A signed-in caller. */
export interface Session {
  token: string;
  expiresAt: string;
  /** What the header shows: "acme · operator" or the OIDC user's name. */
  label: string;
  mode: 'development' | 'oidc';
}

/** `GET /auth/config`: how this gateway signs callers in. */
export interface AuthConfig {
  mode: 'development' | 'oidc';
  issuer: string | null;
  clientId: string | null;
  scope: string;
  audience: string | null;
}

/** An error with the registry code the server answered with. */
export class CodedError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(message: string, code: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

const storageKey = 'novacron.session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(storageKey);
  if (!text) return null;
  try {
    const session = JSON.parse(text) as Session;
    return Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(storageKey, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(storageKey);
}

async function readCodedError(response: Response): Promise<CodedError> {
  const body = (await response.json().catch(() => null)) as { errors?: { message: string; extensions?: { code?: string; field?: string } }[] } | null;
  const first = body?.errors?.[0];
  return new CodedError(first?.message ?? `HTTP ${response.status}`, first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR', first?.extensions?.field);
}

export async function fetchAuthConfig(): Promise<AuthConfig> {
  const response = await fetch('/auth/config');
  if (!response.ok) throw await readCodedError(response);
  return (await response.json()) as AuthConfig;
}

/** Asks the gateway (development mode only) for a token of `tenant` with `role`. */
export async function mintDevelopmentToken(tenant: string, role: string): Promise<Session> {
  const response = await fetch('/auth/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, role }) });
  if (!response.ok) throw await readCodedError(response);
  const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: string };
  return { token, expiresAt, label: `${tenant} · ${role}`, mode: 'development' };
}

/** OpenID Connect authorization code + PKCE (oidc-client-ts), its state kept in sessionStorage. */
export function createOidcManager(config: AuthConfig): UserManager {
  if (!config.issuer || !config.clientId) throw new CodedError('OpenID Connect is not configured (AUTH_ISSUER, WEB_OIDC_CLIENT_ID)', 'UNAVAILABLE');
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}/auth/callback`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: config.scope,
    userStore: store,
    stateStore: store,
    ...(config.audience ? { extraQueryParams: { audience: config.audience } } : {}),
  });
}

/** Finishes the redirect back from the issuer and returns the session. */
export async function completeOidcSignIn(config: AuthConfig): Promise<Session> {
  const user = await createOidcManager(config).signinRedirectCallback();
  const expiresAt = new Date((user.expires_at ?? Date.now() / 1000 + 300) * 1000).toISOString();
  return { token: user.access_token, expiresAt, label: user.profile.name ?? user.profile.sub, mode: 'oidc' };
}
