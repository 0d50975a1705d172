/** The variable that asks for development mode: `NOVACRON_DEV=1` (`npm start` and the tests set it). */
export const developmentSwitch = 'NOVACRON_DEV';

/**
 * Whether a process runs hardened (production) or in development mode. Development mode — generated
 * keys, introspection, stack traces in errors — needs the explicit switch `NOVACRON_DEV=1`; anything
 * else is production, whatever `NODE_ENV` says (`NODE_ENV=prod`, `staging` or unset used to turn
 * hardening off silently). A malformed switch, or the switch together with `NODE_ENV=production`,
 * refuses to start rather than guess.
 */
export function isProductionMode(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env[developmentSwitch]?.trim();
  if (value === undefined || value === '' || value === '0') return true;
  if (value !== '1') throw new Error(`${developmentSwitch} must be 1 (development mode) or 0/unset (production), got "${value.slice(0, 20)}"`);
  if (env.NODE_ENV === 'production') {
    throw new Error(`${developmentSwitch}=1 asks for development mode but NODE_ENV=production; unset one of them`);
  }
  return false;
}
