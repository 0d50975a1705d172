import { AppError } from '@novacron/errors';
import { describe, expect, it } from 'vitest';
import { parseWithLimits } from '../src/index.ts';

function hugeQuery(fields: number): string {
  return `{ ${Array.from({ length: fields }, (_, i) => `a${i}: __typename`).join(' ')} }`;
}

describe('parseWithLimits', () => {
  it('parses a document within the token limit', () => {
    const document = parseWithLimits('{ vm(id: "1") { id name } }', { maxTokens: 50 });
    expect(document.definitions).toHaveLength(1);
  });

  it('refuses a huge document with QUERY_TOO_COMPLEX and limit "tokens"', () => {
    const source = hugeQuery(100_000);
    let thrown: unknown;
    try {
      parseWithLimits(source, { maxTokens: 5000 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('QUERY_TOO_COMPLEX');
    expect((thrown as AppError).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
  });

  it('gives up at the limit instead of reading the whole document', () => {
    // The syntax error sits past the limit: reaching it would mean the parser read on.
    const source = `${hugeQuery(10_000)} {{{{ not graphql`;
    expect(() => parseWithLimits(source, { maxTokens: 5000 })).toThrow(expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }));
    expect(() => parseWithLimits(source, { maxTokens: 1_000_000 })).toThrow(/Syntax Error/);
  });

  it('keeps the limit out of the message unless asked to reveal it', () => {
    const source = hugeQuery(200);
    expect(() => parseWithLimits(source, { maxTokens: 321 })).toThrow(expect.objectContaining({ message: expect.not.stringMatching(/\d/) }));
    expect(() => parseWithLimits(source, { maxTokens: 321 }, { revealThresholds: true })).toThrow(/321/);
  });

  it('rethrows ordinary syntax errors untouched', () => {
    expect(() => parseWithLimits('{ vm(', { maxTokens: 5000 })).toThrow(expect.not.objectContaining({ code: 'QUERY_TOO_COMPLEX' }));
    expect(() => parseWithLimits('{ vm(', { maxTokens: 5000 })).toThrow(/Syntax Error/);
  });
});
