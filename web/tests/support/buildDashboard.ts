import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Builds the dashboard from the current sources into a fresh folder (the gateway serves it with WEB_ROOT), so a stale web/dist is never tested. */
export async function buildDashboard(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'novacron-web-dist-'));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // Vite sets NODE_ENV=production in this process while it builds; the platform started next must not inherit it.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}
