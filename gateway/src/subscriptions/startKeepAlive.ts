/** What the keep-alive needs of a socket (`ws`'s `WebSocket`). */
export interface PingableSocket {
  ping(): void;
  terminate(): void;
}

/** The running keep-alive. */
export interface KeepAlive {
  /** Records an answer (a `pong`) from `socket`. */
  markAlive(socket: PingableSocket): void;
  stop(): void;
}

/** How often a slice of the connections is pinged: a round of `intervalMs` is this many slices. */
const slicesPerRound = 100;

/**
 * Pings every connection about once per `intervalMs`, a slice at a time, and terminates one that has
 * not answered its previous ping by its next turn. Hand-rolled because `ws` leaves keep-alive to the
 * server; sliced because one pass over 10,000 sockets in a single tick (and their 10,000 pongs right
 * after) stalled the event loop every 12 s, and every delivery due meanwhile waited: the fan-out's p99.
 */
export function startKeepAlive(clients: ReadonlySet<PingableSocket>, intervalMs: number): KeepAlive {
  const alive = new WeakMap<PingableSocket, boolean>();
  // A Set's iterator visits sockets added during the round and skips those deleted.
  let round: Iterator<PingableSocket> = clients.values();
  let perSlice = Math.max(1, Math.ceil(clients.size / slicesPerRound));
  let roundStartedAt = Date.now();
  let roundDone = false;
  const timer = setInterval(
    () => {
      // A round starts at most once per interval, so a socket always has an interval to answer.
      if (roundDone) {
        if (Date.now() - roundStartedAt < intervalMs) return;
        round = clients.values();
        perSlice = Math.max(1, Math.ceil(clients.size / slicesPerRound));
        roundStartedAt = Date.now();
        roundDone = false;
      }
      for (let visited = 0; visited < perSlice; visited += 1) {
        const next = round.next();
        if (next.done) {
          roundDone = true;
          return;
        }
        const socket = next.value;
        if (alive.get(socket) === false) {
          socket.terminate();
          continue;
        }
        alive.set(socket, false);
        socket.ping();
      }
    },
    Math.max(1, Math.floor(intervalMs / slicesPerRound)),
  );
  timer.unref();
  return {
    markAlive: (socket) => alive.set(socket, true),
    stop: () => clearInterval(timer),
  };
}
