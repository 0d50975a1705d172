/** An emulated resource whose transitional state settles once its time has come (no timers: settled on read). */
export interface Settling<State extends string> {
  state: State;
  /** Where the transition ends, and when. */
  target: { state: State; at: number } | null;
}

/** Moves a resource to its target state when the target is due. */
export function settle<State extends string>(resource: Settling<State>, now = Date.now()): void {
  if (resource.target && resource.target.at <= now) {
    resource.state = resource.target.state;
    resource.target = null;
  }
}

/** Starts a transition: `via` now, `to` after `latencyMs` (at once when it is 0). */
export function transition<State extends string>(resource: Settling<State>, via: State, to: State, latencyMs: number): void {
  if (latencyMs <= 0) {
    resource.state = to;
    resource.target = null;
    return;
  }
  resource.state = via;
  resource.target = { state: to, at: Date.now() + latencyMs };
}
