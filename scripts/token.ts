/**
 * `npm run token -- --tenant acme --role operator [--role admin] [--subject alice] [--ttl 3600]`:
 * prints a user token signed with the development key, for curl and GraphQL clients against a local
 * platform. Keys live in `.novacron/keys` at the repository root (created on first use) unless
 * NOVACRON_KEYS_DIR names another folder. Only the token goes to stdout, so `$(npm run -s token …)` works.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDevelopmentKeys, isRole, isTenantId, signDevelopmentToken, type Role } from '@novacron/auth';

const usage = `usage: node scripts/token.ts --tenant <id> --role <viewer|operator|admin> [--role …] [--subject <sub>] [--ttl <seconds>]

  --tenant   tenant id: 1–63 characters of a-z, 0-9 and -, not starting with -
  --role     viewer, operator or admin; repeat for several
  --subject  the token's sub (default: developer)
  --ttl      lifetime in seconds (default: 3600)

Keys: .novacron/keys at the repository root, or NOVACRON_KEYS_DIR.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      role: { type: 'string', multiple: true },
      subject: { type: 'string' },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (values.tenant === undefined) fail('--tenant is required');
if (!isTenantId(values.tenant)) fail(`--tenant ${JSON.stringify(values.tenant)} is not a valid tenant id`);
const roles: Role[] = [];
for (const role of values.role ?? []) {
  if (!isRole(role)) fail(`--role ${JSON.stringify(role)} must be viewer, operator or admin`);
  roles.push(role);
}
if (roles.length === 0) fail('--role is required');
if (values.subject !== undefined && values.subject.length === 0) fail('--subject must not be empty');
const ttlText = values.ttl ?? '3600';
if (!/^[1-9]\d{0,8}$/.test(ttlText)) fail('--ttl must be a positive whole number of seconds');
const ttlSeconds = Number(ttlText);

const root = fileURLToPath(new URL('..', import.meta.url));
const keysFolder = process.env.NOVACRON_KEYS_DIR || join(root, '.novacron', 'keys');
const keys = await ensureDevelopmentKeys(keysFolder);
const token = await signDevelopmentToken({ keys, tenant: values.tenant, roles, ...(values.subject !== undefined && { subject: values.subject }), ttlSeconds });
process.stdout.write(`${token}\n`);
