import { useId, useState, type FormEvent } from 'react';
import { createOidcManager, mintDevelopmentToken, type AuthConfig, type Session } from '../auth/session.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

/** Development: pick a tenant and role (the gateway mints the token). Production: OpenID Connect with PKCE. */
export function SignInPage({ config, onSignedIn }: { config: AuthConfig; onSignedIn(session: Session): void }) {
  const [tenant, setTenant] = useState('default');
  const [role, setRole] = useState('admin');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const tenantId = useId();
  const roleId = useId();

  const development = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await mintDevelopmentToken(tenant.trim(), role));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const oidc = async () => {
    setError(null);
    try {
      await createOidcManager(config).signinRedirect();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to NovaCron</h1>
      {config.mode === 'development' ? (
        <form onSubmit={(event) => void development(event)}>
          <p>Development mode: the gateway signs a token with its development key.</p>
          <label htmlFor={tenantId}>Tenant</label>
          <input id={tenantId} value={tenant} onChange={(event) => setTenant(event.target.value)} autoComplete="off" />
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(event) => setRole(event.target.value)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Use a development token
            </button>
          </div>
        </form>
      ) : (
        <div className="actions">
          <button type="button" className="primary" onClick={() => void oidc()}>
            Sign in with {config.issuer ? new URL(config.issuer).host : 'your identity provider'}
          </button>
        </div>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
