import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or `CHROMIUM_PATH`. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** A headless Chromium with a new, empty profile; closing it removes the profile. */
export interface LaunchedChromium extends AsyncDisposable {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium through playwright-core (no downloaded browser build). A missing
 * browser fails loudly: the browser tests never skip.
 */
export async function launchChromium(): Promise<LaunchedChromium> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium was not found at ${chromiumPath}: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'novacron-chromium-'));
  // launchPersistentContext passes the profile as --user-data-dir (Playwright refuses it in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const close = async () => {
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  };
  return { context, close, [Symbol.asyncDispose]: close };
}
