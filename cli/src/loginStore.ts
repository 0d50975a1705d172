import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `novacron login` remembers. */
export interface StoredLogin {
  url: string;
  token: string;
}

/** Where logins live: `$NOVACRON_CONFIG_DIR`, else `$XDG_CONFIG_HOME/novacron`, else `~/.config/novacron`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return env.NOVACRON_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'novacron');
}

/** Reads the stored login, if any. */
export async function readLogin(env: NodeJS.ProcessEnv): Promise<StoredLogin | null> {
  try {
    const parsed = JSON.parse(await readFile(join(configDir(env), 'login.json'), 'utf8')) as Partial<StoredLogin>;
    return typeof parsed.url === 'string' && typeof parsed.token === 'string' ? { url: parsed.url, token: parsed.token } : null;
  } catch {
    return null;
  }
}

/** Stores a login readable by the user only (the token is a credential). */
export async function writeLogin(env: NodeJS.ProcessEnv, login: StoredLogin): Promise<string> {
  const folder = configDir(env);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const file = join(folder, 'login.json');
  await writeFile(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Forgets the stored login. */
export async function removeLogin(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(join(configDir(env), 'login.json'), { force: true });
}
