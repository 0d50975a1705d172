import WebSocket from 'ws';
import { createNovaCronClient, createNovaCronSubscriptions, NovaCronRequestError, type NovaCronClient, type NovaCronSubscriptions } from '@novacron/sdk';
import { CliError, exitCodes } from './exitCodes.ts';
import type { Io } from './Io.ts';
import { readLogin } from './loginStore.ts';

export const defaultUrl = 'http://localhost:4000/graphql';

/** A signed-in connection to a gateway. */
export interface Session {
  url: string;
  client: NovaCronClient;
  /** A graphql-ws client on the same gateway; created on first use. */
  live(): NovaCronSubscriptions;
  close(): Promise<void>;
}

/** `NOVACRON_TOKEN` and `NOVACRON_URL` override the stored login. */
export async function openSession(io: Io): Promise<Session> {
  const stored = await readLogin(io.env);
  const url = io.env.NOVACRON_URL ?? stored?.url ?? defaultUrl;
  const token = io.env.NOVACRON_TOKEN ?? stored?.token;
  if (!token) throw new CliError('not logged in: run `novacron login --token <token>` (or `novacron login --dev`), or set NOVACRON_TOKEN', exitCodes.unauthenticated, 'UNAUTHENTICATED');
  const headers = { authorization: `Bearer ${token}` };
  let live: NovaCronSubscriptions | null = null;
  return {
    url,
    client: createNovaCronClient({
      url,
      headers,
      fetch: async (input, init) => {
        try {
          return await fetch(input, init);
        } catch (error) {
          throw new CliError(`cannot reach the NovaCron gateway at ${url} (${error instanceof Error ? error.message : String(error)})`, exitCodes.unreachable, 'UNREACHABLE');
        }
      },
    }),
    live: () => {
      live ??= createNovaCronSubscriptions({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: headers, retryAttempts: 3 });
      return live;
    },
    close: async () => {
      await live?.dispose();
    },
  };
}

/** Turns an API error into the CLI's: its code in the message, and the exit code that fits. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof NovaCronRequestError) {
    const code = error.code ?? 'ERROR';
    const field = error.errors[0]?.extensions?.field;
    const message = `${code}: ${error.errors[0]?.message ?? error.message}${typeof field === 'string' ? ` (field ${field})` : ''}`;
    return new CliError(message, code === 'UNAUTHENTICATED' ? exitCodes.unauthenticated : exitCodes.failed, code);
  }
  return new CliError(error instanceof Error ? error.message : String(error), exitCodes.failed);
}
