import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readStreamDeclarations, replayPlanOf, routingKeysOf } from '../src/subscriptions/readStreamDeclarations.ts';

const supergraph = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');

describe('stream declarations', () => {
  it("reads every subscription field's stream from the composed supergraph, with its owning subgraph", () => {
    const declarations = readStreamDeclarations(supergraph);
    expect(declarations.get('vmEvents')).toEqual({
      field: 'vmEvents',
      subgraph: 'vms',
      stream: 'vm',
      payloadField: 'vmEventAt',
      cursorArg: 'after',
      entityArg: null,
      routeBy: 'filter.ids',
      completeOnTerminal: false,
    });
    expect(declarations.get('operationUpdated')).toMatchObject({ subgraph: 'vms', stream: 'operation', entityArg: 'id', completeOnTerminal: true });
  });

  it('derives routing keys and replay plans from the arguments, lower-casing ids', () => {
    const vmEvents = readStreamDeclarations(supergraph).get('vmEvents');
    if (!vmEvents) throw new Error('vmEvents is not declared');
    const id = 'A0B1C2D3-0000-4000-8000-000000000001';
    expect(routingKeysOf(vmEvents, { filter: { ids: [id] } })).toEqual([id.toLowerCase()]);
    expect(routingKeysOf(vmEvents, { filter: { labels: [] } })).toBeNull();
    expect(replayPlanOf(vmEvents, { after: 'cursor-1' })).toEqual({ after: 'cursor-1' });
    expect(replayPlanOf(vmEvents, {})).toBeNull();
  });
});
