import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ensureDevelopmentKeys, isRole, signDevelopmentToken } from '@novacron/auth';
import { createNovaCronClient, ProvidersDocument } from '@novacron/sdk';
import { CliError, exitCodes } from '../exitCodes.ts';
import type { Io } from '../Io.ts';
import { removeLogin, writeLogin } from '../loginStore.ts';
import { defaultUrl, toCliError } from '../session.ts';

/** `login` (a token, or a development token from the local development keys) and `logout`. */
export function addLoginCommands(program: Command, io: Io): void {
  program
    .command('login')
    .description('store the gateway URL and a token for later commands (NOVACRON_TOKEN and NOVACRON_URL override it)')
    .option('--url <url>', 'the gateway endpoint', io.env.NOVACRON_URL ?? defaultUrl)
    .option('--token <token>', 'a bearer token from your identity provider')
    .option('--dev', 'sign a development token with the local development keys (npm start made them)')
    .option('--tenant <tenant>', 'with --dev: the tenant', 'default')
    .option('--role <role>', 'with --dev: viewer, operator or admin', 'operator')
    .action(async (options: { url: string; token?: string; dev?: boolean; tenant: string; role: string }) => {
      let token = options.token;
      if (options.dev) {
        if (!isRole(options.role)) throw new CliError(`--role must be viewer, operator or admin, not "${options.role}"`, exitCodes.usage);
        const keysDir = io.env.NOVACRON_KEYS_DIR ?? fileURLToPath(new URL('../../../.novacron/keys', import.meta.url));
        token = await signDevelopmentToken({ keys: await ensureDevelopmentKeys(keysDir), tenant: options.tenant, roles: [options.role], ttlSeconds: 12 * 3_600 });
      }
      if (!token) throw new CliError('give --token <token> or --dev', exitCodes.usage);
      // Prove the login works before keeping it.
      await createNovaCronClient({ url: options.url, headers: { authorization: `Bearer ${token}` } })
        .request(ProvidersDocument)
        .catch((error: unknown) => {
          throw error instanceof TypeError ? new CliError(`cannot reach the NovaCron gateway at ${options.url}`, exitCodes.unreachable) : toCliError(error);
        });
      const file = await writeLogin(io.env, { url: options.url, token });
      io.stdout.write(`logged in to ${options.url} (stored in ${file})\n`);
    });
  program
    .command('logout')
    .description('forget the stored login')
    .action(async () => {
      await removeLogin(io.env);
      io.stdout.write('logged out\n');
    });
}
