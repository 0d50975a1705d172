/**
 * Which subscription root field reads which event stream, as the owning subgraphs declared it with
 * `@eventStream` (the kit's directive, composed into the supergraph). The gateway knows streams, not
 * any subgraph's fields or filters.
 */
import { Kind, parse, valueFromASTUntyped, type ConstDirectiveNode, type EnumValueDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import type { Identity } from '@novacron/auth';

/** A subscription field served from an event stream. */
export interface StreamDeclaration {
  /** The subscription root field (`vmEvents`). */
  field: string;
  /** The owning subgraph (`vms`). */
  subgraph: string;
  /** The stream's short name in that subgraph's `_eventFeed` (`vm`). */
  stream: string;
  /** The query field resolving one event: the subscription's arguments plus `cursor`. */
  payloadField: string;
  /** The argument holding a resume cursor. */
  cursorArg: string | null;
  /** The argument naming one entity whose latest event is replayed first. */
  entityArg: string | null;
  /** Dotted argument path of the entity ids the subscriber follows, for routing. */
  routeBy: string | null;
  completeOnTerminal: boolean;
}

/** What the engine knows about a subscriber when routing events and resolving payloads. */
export interface SubscriberScope {
  tenantId: string;
  /** The verified caller; payloads are resolved under this identity. */
  identity: Identity;
  /** Tenant and roles: subscriptions share an execution only within one authorization scope. */
  scopeKey: string;
}

const directiveArgs = (directive: ConstDirectiveNode | undefined): Record<string, unknown> =>
  Object.fromEntries((directive?.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value)]));

/** Reads every `@eventStream` declaration of the supergraph's `Subscription` type, by field. */
export function readStreamDeclarations(supergraphSdl: string): ReadonlyMap<string, StreamDeclaration> {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const subscriptionTypes: ObjectTypeDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? ([] as readonly EnumValueDefinitionNode[])) {
        const name = directiveArgs(value.directives?.find((directive) => directive.name.value === 'join__graph')).name;
        if (typeof name === 'string') graphNames.set(value.name.value, name);
      }
    }
    if ((definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && definition.name.value === 'Subscription') {
      subscriptionTypes.push(definition as ObjectTypeDefinitionNode);
    }
  }
  const declarations = new Map<string, StreamDeclaration>();
  for (const type of subscriptionTypes) {
    const typeGraphs = (type.directives ?? []).filter((directive) => directive.name.value === 'join__type').map((directive) => String(directiveArgs(directive).graph));
    for (const field of type.fields ?? []) {
      const stream = field.directives?.find((directive) => directive.name.value === 'eventStream');
      if (!stream) continue;
      const args = directiveArgs(stream);
      const fieldGraph = field.directives?.find((directive) => directive.name.value === 'join__field');
      const graph = fieldGraph ? String(directiveArgs(fieldGraph).graph) : typeGraphs.length === 1 ? typeGraphs[0] : undefined;
      const subgraph = graph ? graphNames.get(graph) : undefined;
      if (!subgraph) throw new Error(`Subscription.${field.name.value} declares @eventStream but its owning subgraph cannot be told from the supergraph`);
      declarations.set(field.name.value, {
        field: field.name.value,
        subgraph,
        stream: String(args.name),
        payloadField: String(args.payload),
        cursorArg: typeof args.cursorArg === 'string' ? args.cursorArg : null,
        entityArg: typeof args.entityArg === 'string' ? args.entityArg : null,
        routeBy: typeof args.routeBy === 'string' ? args.routeBy : null,
        completeOnTerminal: args.completeOnTerminal === true,
      });
    }
  }
  return declarations;
}

/** The subgraph each `join__Graph` names, for configuration. */
export function readSubgraphNames(supergraphSdl: string): string[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([a-z][a-z0-9]*)"/g)].map((match) => match[1] as string);
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The entity ids a subscriber follows (`routeBy`, or its `entityArg`), so routing looks only at the
 * subscribers of an event's entities; null when any entity may concern it.
 */
export function routingKeysOf(declaration: StreamDeclaration, args: Record<string, unknown>): string[] | null {
  const path = declaration.routeBy ?? declaration.entityArg;
  if (!path) return null;
  let value: unknown = args;
  for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  const ids = (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).map(String);
  // Ids are UUIDs compared as the database prints them (lower case).
  return ids.length > 0 ? ids.map((id) => (uuidPattern.test(id) ? id.toLowerCase() : id)) : null;
}

/** Where replay starts: after a cursor, at one entity's latest event, or nowhere (live only). */
export function replayPlanOf(declaration: StreamDeclaration, args: Record<string, unknown>): { after: string } | { entityId: string } | null {
  if (declaration.cursorArg && typeof args[declaration.cursorArg] === 'string') return { after: args[declaration.cursorArg] as string };
  if (declaration.entityArg && args[declaration.entityArg] !== undefined && args[declaration.entityArg] !== null) {
    const id = String(args[declaration.entityArg]);
    return { entityId: uuidPattern.test(id) ? id.toLowerCase() : id };
  }
  return null;
}
