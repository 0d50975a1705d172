import { describe, expect, it } from 'vitest';
import { sanitizeProviderMessage } from '../src/worker/sanitizeProviderMessage.ts';

describe('sanitizeProviderMessage', () => {
  it('keeps an ordinary provider reason as it is', () => {
    const reason = 'We currently do not have sufficient t3.micro capacity in the zone you requested.';
    expect(sanitizeProviderMessage(reason)).toBe(reason);
  });

  it('drops identifiers a cloud puts in its error text', () => {
    const cleaned = sanitizeProviderMessage(
      'Access denied for arn:aws:iam::123456789012:role/deployer (key AKIAABCDEFGHIJKLMNOP) on ' +
        '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1 ' +
        'via https://ec2.us-east-1.amazonaws.com/?Action=RunInstances from 10.0.0.12, contact ops@example.com, Request ID: 7d1c7e2a-1b2c-4d5e-8f90-123456789abc',
    );
    expect(cleaned).not.toMatch(/123456789012|AKIA|00000000-1111|amazonaws|10\.0\.0\.12|ops@example\.com|7d1c7e2a/);
    expect(cleaned).toMatch(/^Access denied for \[arn\]/);
  });

  it('removes control characters and bounds the length', () => {
    expect(sanitizeProviderMessage('line one\n\u001b[31mline two\u0000')).toBe('line one [31mline two');
    expect(sanitizeProviderMessage('x'.repeat(1_000))).toHaveLength(300);
    expect(sanitizeProviderMessage('\n\t')).toBe('the provider reported an error');
  });
});
