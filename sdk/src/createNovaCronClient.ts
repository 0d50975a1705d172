import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode, type GraphQLFormattedError } from 'graphql';

/** Options for {@link createNovaCronClient}. */
export interface NovaCronClientOptions {
  /** The gateway endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** Extra headers for every request (an `authorization` bearer token, …). */
  headers?: Record<string, string>;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof fetch;
}

/** A GraphQL response as the server sent it. */
export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Thrown by {@link NovaCronClient.request} when the response carries errors. */
export class NovaCronRequestError extends Error {
  readonly errors: readonly GraphQLFormattedError[];
  readonly status: number;

  constructor(errors: readonly GraphQLFormattedError[], status: number) {
    super(errors.map((error) => `${String(error.extensions?.code ?? 'ERROR')}: ${error.message}`).join('; '));
    this.name = 'NovaCronRequestError';
    this.errors = errors;
    this.status = status;
  }

  /** The `extensions.code` of the first error. */
  get code(): string | undefined {
    const code = this.errors[0]?.extensions?.code;
    return typeof code === 'string' ? code : undefined;
  }
}

/** A typed NovaCron client. */
export interface NovaCronClient {
  /** Runs a typed operation; resolves with its data or rejects with a NovaCronRequestError. */
  request<TData, TVariables extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<TData>;
  /** Runs an operation and returns the whole response, errors included, with the HTTP status. */
  execute<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
  ): Promise<GraphQLResponse<TData> & { status: number }>;
}

/** Creates a client for the NovaCron gateway; use it with the generated documents (`CreateVmDocument`, …). */
export function createNovaCronClient(options: NovaCronClientOptions): NovaCronClient {
  const doFetch = options.fetch ?? fetch;
  const printed = new WeakMap<DocumentNode, string>();
  const source = (document: DocumentNode) => {
    let text = printed.get(document);
    if (!text) {
      text = print(document);
      printed.set(document, text);
    }
    return text;
  };
  const execute: NovaCronClient['execute'] = async (document, variables) => {
    const response = await doFetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options.headers },
      body: JSON.stringify({ query: source(document), variables: variables ?? {} }),
    });
    const body = (await response.json()) as GraphQLResponse<never>;
    return { ...body, status: response.status };
  };
  return {
    execute,
    async request(document, variables) {
      const result = await execute(document, variables);
      if (result.errors && result.errors.length > 0) throw new NovaCronRequestError(result.errors, result.status);
      if (!result.data) throw new NovaCronRequestError([{ message: 'the response carried no data' }], result.status);
      return result.data;
    },
  };
}
