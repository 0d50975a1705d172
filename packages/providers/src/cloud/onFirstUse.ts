/**
 * Wraps `load` so it runs on the first call only, every later call getting the same promise; a
 * rejected load is forgotten, so the next call tries again (a client whose credentials could not be
 * built, an import that failed). How the cloud drivers import their SDKs and build their clients on
 * their first cloud call instead of when the package is imported (see the package README).
 */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (!loaded) {
      const loading = load();
      loaded = loading;
      loading.catch(() => {
        if (loaded === loading) loaded = undefined;
      });
    }
    return loaded;
  };
}
