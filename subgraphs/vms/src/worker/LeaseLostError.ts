/**
 * Thrown when a worker finds it no longer holds an operation's lease (it was paused past expiry and
 * the sweeper handed the operation to another worker). The worker stops touching the operation.
 */
export class LeaseLostError extends Error {
  constructor(operationId: string) {
    super(`lost the lease on operation ${operationId}`);
    this.name = 'LeaseLostError';
  }
}
