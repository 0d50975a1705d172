import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

/** Runs `read` with the given variables set (undefined: unset), restoring the environment after. */
function withEnv<T>(env: Record<string, string | undefined>, read: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(env);
  try {
    return read();
  } finally {
    apply(saved);
  }
}

describe('the gateway’s production switch', () => {
  it('runs hardened unless NOVACRON_DEV=1, whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['development', 'staging', 'prod', 'test', undefined]) {
      for (const NOVACRON_DEV of [undefined, '', '0']) {
        const config = withEnv({ NODE_ENV, NOVACRON_DEV }, loadConfig);
        expect({ NODE_ENV, NOVACRON_DEV, production: config.production, devTokens: config.web.devTokens }).toEqual({ NODE_ENV, NOVACRON_DEV, production: true, devTokens: false });
      }
    }
  });

  it('runs in development mode with NOVACRON_DEV=1', () => {
    const config = withEnv({ NODE_ENV: undefined, NOVACRON_DEV: '1' }, loadConfig);
    expect(config.production).toBe(false);
    expect(config.web.devTokens).toBe(true);
  });

  it('refuses to start on a malformed switch or on the switch together with NODE_ENV=production', () => {
    expect(() => withEnv({ NODE_ENV: undefined, NOVACRON_DEV: 'yes' }, loadConfig)).toThrow(/NOVACRON_DEV must be 1/);
    expect(() => withEnv({ NODE_ENV: 'production', NOVACRON_DEV: '1' }, loadConfig)).toThrow(/NODE_ENV=production/);
  });
});
