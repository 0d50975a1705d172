import { request, type Agent } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Sockets that have carried a whole answer. Node marks `request.reusedSocket` only when the agent
 * hands out a socket from its free list at once; a request that waited in the agent's queue gets a
 * socket freed by another answer without that mark, so reuse is also judged by this set.
 */
const answeredOn = new WeakSet<Socket>();

/**
 * POSTs a JSON body on a keep-alive agent and reads the whole answer as text (and its `Retry-After`);
 * rejects on timeout or connection errors. A request written on a reused socket that the server closed
 * for idling at that very moment fails with ECONNRESET before any answer: it is sent again once on a
 * fresh socket, as Node's documentation advises (`request.reusedSocket`); the benches' mutations carry
 * idempotency keys, so a retry is safe even if the first one did reach the server.
 */
export async function postJson(
  agent: Agent,
  url: URL,
  body: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  try {
    return await postJsonOnce(agent, url, body, timeoutMs, headers);
  } catch (error) {
    if ((error as { code?: string; reusedSocket?: boolean }).code !== 'ECONNRESET' || !(error as { reusedSocket?: boolean }).reusedSocket) throw error;
    // On a connection of its own: the agent's next free socket may have idled as long as the one just reset.
    return postJsonOnce(false, url, body, timeoutMs, headers);
  }
}

function postJsonOnce(
  agent: Agent | false,
  url: URL,
  body: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const outgoing = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (socket) answeredOn.add(socket);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: response.headers['retry-after'] });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    outgoing.on('socket', (assigned) => {
      socket = assigned;
    });
    outgoing.on('error', (error) => reject(Object.assign(error, { reusedSocket: outgoing.reusedSocket || (socket !== undefined && answeredOn.has(socket)) })));
    outgoing.end(body);
  });
}
