import { AppError } from '@novacron/errors';

type Parser<T> = (raw: string, name: string) => T;

/**
 * Typed access to environment variables, for `config.ts` files only: `readEnv.int('PORT', 4001)`.
 * A malformed value stops the process at start with a clear message instead of failing later.
 */
export const readEnv = {
  string(name: string, fallback?: string): string {
    return read(name, fallback, (raw) => raw);
  },
  optional(name: string): string | undefined {
    const raw = process.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  },
  int(name: string, fallback?: number): number {
    return read(name, fallback, (raw, key) => {
      const value = Number(raw);
      if (!Number.isInteger(value)) throw new AppError('BAD_USER_INPUT', `${key} must be an integer, got "${raw}"`);
      return value;
    });
  },
  bool(name: string, fallback?: boolean): boolean {
    return read(name, fallback, (raw, key) => {
      if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
      throw new AppError('BAD_USER_INPUT', `${key} must be true or false, got "${raw}"`);
    });
  },
};

function read<T>(name: string, fallback: T | undefined, parse: Parser<T>): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new AppError('BAD_USER_INPUT', `${name} must be set`);
    return fallback;
  }
  return parse(raw, name);
}
