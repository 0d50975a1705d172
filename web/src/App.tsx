import { useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { Link, Route, Switch, useLocation } from 'wouter';
import { clearSession, completeOidcSignIn, fetchAuthConfig, loadSession, saveSession, type AuthConfig, type Session } from './auth/session.ts';
import { ErrorMessage } from './components/ErrorMessage.tsx';
import { createGraphQLClient } from './graphql/createGraphQLClient.ts';
import { TransportContext } from './graphql/TransportContext.ts';
import { CostsPage } from './pages/CostsPage.tsx';
import { CreatePage } from './pages/CreatePage.tsx';
import { FleetPage } from './pages/FleetPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { VmPage } from './pages/VmPage.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';

/** Signs the caller in, then gives every page one urql client and one graphql-ws socket for that caller. */
export function App() {
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [error, setError] = useState<unknown>(null);
  const [location, navigate] = useLocation();

  useEffect(() => {
    fetchAuthConfig().then(setConfig, setError);
  }, []);
  useEffect(() => {
    if (!config || location !== '/auth/callback') return;
    completeOidcSignIn(config).then(
      (signedIn) => {
        saveSession(signedIn);
        setSession(signedIn);
        navigate('/', { replace: true });
      },
      setError,
    );
  }, [config, location, navigate]);

  const transport = useMemo(() => (session ? createGraphQLClient(session.token) : null), [session]);
  useEffect(() => () => transport?.dispose(), [transport]);

  const signOut = () => {
    clearSession();
    setSession(null);
  };

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">NovaCron</span>
        {transport ? (
          <nav aria-label="Main">
            <Link href="/">Fleet</Link>
            <Link href="/create">Create</Link>
            <Link href="/costs">Costs</Link>
          </nav>
        ) : null}
        <span className="spacer" />
        <ThemeToggle />
        {session ? (
          <>
            <span className="muted" data-testid="signed-in-as">
              {session.label}
            </span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : null}
      </header>
      <main id="main">
        <ErrorMessage error={error} />
        {!transport ? (
          config ? (
            <SignInPage
              config={config}
              onSignedIn={(signedIn) => {
                saveSession(signedIn);
                setSession(signedIn);
              }}
            />
          ) : (
            <p role="status">Loading…</p>
          )
        ) : (
          <TransportContext.Provider value={transport}>
            <Provider value={transport.client}>
              <Switch>
                <Route path="/">
                  <FleetPage />
                </Route>
                <Route path="/create">
                  <CreatePage />
                </Route>
                <Route path="/costs">
                  <CostsPage />
                </Route>
                <Route path="/vms/:id">{(params) => <VmPage key={params.id} id={params.id} />}</Route>
                <Route>
                  <p>Page not found.</p>
                </Route>
              </Switch>
            </Provider>
          </TransportContext.Provider>
        )}
      </main>
    </>
  );
}
