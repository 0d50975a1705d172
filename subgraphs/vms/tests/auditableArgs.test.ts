import { describe, expect, it } from 'vitest';
import { auditableArgs } from '../src/domain/auditableArgs.ts';
import { inputDigest } from '../src/domain/inputDigest.ts';

describe('auditableArgs', () => {
  it('replaces a secret argument by the sorted names of its fields, at any depth, without changing the arguments', () => {
    const args = { input: { provider: 'aws', credentials: { secretAccessKey: 's3cr3t', accessKeyId: 'AKIA' } }, list: [{ credentials: 'token' }, 1] };
    const before = structuredClone(args);
    expect(auditableArgs(args)).toEqual({ input: { provider: 'aws', credentials: { redactedFields: ['accessKeyId', 'secretAccessKey'] } }, list: [{ credentials: { redactedFields: [] } }, 1] });
    expect(args).toEqual(before);
  });

  it('hands back arguments without a secret as they are', () => {
    const args = { input: { name: 'web-1', labels: { team: 'core' }, tags: ['a', 'b'] }, idempotencyKey: null };
    expect(auditableArgs(args)).toBe(args);
  });

  it('keeps the digests stored before (createVM and setProviderCredentials arguments)', () => {
    const create = { input: { name: 'web-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12', labels: { team: 'core' } }, idempotencyKey: 'k-1' };
    const credentials = { input: { provider: 'aws', credentials: { accessKeyId: 'AKIA', secretAccessKey: 's3cr3t' } } };
    expect(inputDigest('createVM', auditableArgs(create))).toBe('2a819fc8af7f18d1baa9e2ff0421c7e6747192ac331cb61448e451ffb42a0020');
    expect(inputDigest('setProviderCredentials', auditableArgs(credentials))).toBe('7bbf283eedf9436cabbd7ecbde56a011c9a2cda2e06d362b18f47e275fdc4e2f');
  });
});
