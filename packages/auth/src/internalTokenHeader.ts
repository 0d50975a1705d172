/** The HTTP header in which the gateway forwards its signed internal token to subgraphs. */
export const internalTokenHeader = 'x-novacron-internal-token';
