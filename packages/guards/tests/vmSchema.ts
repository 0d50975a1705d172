import { buildSchema } from 'graphql';

/** A slice of NovaCron's VM graph: connections with `first`, a plain list, and an interface. */
export const vmSchema = buildSchema(/* GraphQL */ `
  type Query {
    vms(first: Int, after: String): VMConnection!
    vm(id: ID!): VM
    regions: [Region!]!
    node(id: ID!): Node
  }
  interface Node {
    id: ID!
  }
  type VMConnection {
    edges: [VMEdge!]!
    pageInfo: PageInfo!
  }
  type VMEdge {
    cursor: String!
    node: VM!
  }
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
  type VM implements Node {
    id: ID!
    name: String
    region: Region!
    operations(first: Int = 20): OperationConnection!
    clonedFrom: VM
  }
  type OperationConnection {
    edges: [OperationEdge!]!
  }
  type OperationEdge {
    node: Operation!
  }
  type Operation implements Node {
    id: ID!
    status: String!
    vm: VM!
  }
  type Region {
    name: String!
    vms(first: Int): VMConnection!
  }
`);
