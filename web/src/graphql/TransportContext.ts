import { createContext, useContext } from 'react';
import type { GraphQLTransport } from './createGraphQLClient.ts';

export const TransportContext = createContext<GraphQLTransport | null>(null);

/** The signed-in caller's transport; only rendered below the sign-in gate. */
export function useTransport(): GraphQLTransport {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error('useTransport outside a signed-in session');
  return transport;
}
