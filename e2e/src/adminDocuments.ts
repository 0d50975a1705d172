/**
 * Typed documents for the API fields the SDK does not ship (the admin ones, and the payload fields
 * subscriptions resolve through), so tests call them like any SDK document.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';

/** An audit record as the API returns it. */
export interface AuditEntryView {
  tenantId: string;
  actor: string;
  action: string;
  targetId: string | null;
  operationId: string | null;
  outcome: 'SUCCEEDED' | 'FAILED';
  errorCode: string | null;
}

export const AuditLogDocument = parse(`
  query AuditLog($filter: AuditFilter, $first: Int) {
    auditLog(filter: $filter, first: $first) { totalCount edges { node { tenantId actor action targetId operationId outcome errorCode } } }
  }`) as TypedDocumentNode<
  { auditLog: { totalCount: number; edges: { node: AuditEntryView }[] } },
  { filter?: { action?: string; actor?: string; outcome?: 'SUCCEEDED' | 'FAILED' }; first?: number }
>;

export const ProviderCredentialsDocument = parse(`
  query ProviderCredentials { providerCredentials { provider configured keyId updatedBy } }`) as TypedDocumentNode<
  { providerCredentials: { provider: string; configured: boolean; keyId: string | null; updatedBy: string | null }[] },
  Record<string, never>
>;

export const TenantSettingsDocument = parse(`
  query TenantSettings { tenantSettings { tenantId displayName contactEmail } }`) as TypedDocumentNode<
  { tenantSettings: { tenantId: string; displayName: string; contactEmail: string | null } },
  Record<string, never>
>;

export const SetProviderCredentialsDocument = parse(`
  mutation SetProviderCredentials($input: ProviderCredentialsInput!) {
    setProviderCredentials(input: $input) { provider configured keyId updatedBy }
  }`) as TypedDocumentNode<
  { setProviderCredentials: { provider: string; configured: boolean; keyId: string | null; updatedBy: string | null } },
  { input: { provider: string; credentials: Record<string, string> } }
>;

export const UpdateTenantSettingsDocument = parse(`
  mutation UpdateTenantSettings($input: TenantSettingsInput!) {
    updateTenantSettings(input: $input) { tenantId displayName contactEmail }
  }`) as TypedDocumentNode<
  { updateTenantSettings: { tenantId: string; displayName: string; contactEmail: string | null } },
  { input: { displayName: string; contactEmail?: string | null } }
>;

export const VmEventAtDocument = parse(`
  query VmEventAt($cursor: String!) { vmEventAt(cursor: $cursor) { type version cursor vm { id name labels } } }`) as TypedDocumentNode<
  { vmEventAt: { type: string; version: number; cursor: string; vm: { id: string; name: string; labels: Record<string, string> } } | null },
  { cursor: string }
>;

export const OperationAtDocument = parse(`
  query OperationAt($cursor: String!) { operationAt(cursor: $cursor) { id kind status vm { id name } } }`) as TypedDocumentNode<
  { operationAt: { id: string; kind: string; status: string; vm: { id: string; name: string } | null } | null },
  { cursor: string }
>;

export const ReconcileProviderDocument = parse(`
  mutation ReconcileProvider($provider: String!) { reconcileProvider(provider: $provider) { provider drifted vanished orphans deletedOrphans } }`) as TypedDocumentNode<
  { reconcileProvider: { provider: string; drifted: string[]; vanished: string[]; orphans: string[]; deletedOrphans: string[] } },
  { provider: string }
>;

export const OrphanInstancesDocument = parse(`
  query OrphanInstances($provider: String, $first: Int, $after: String) {
    orphanInstances(provider: $provider, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { providerId provider region state } } }
  }`) as TypedDocumentNode<
  { orphanInstances: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { providerId: string; provider: string; region: string; state: string } }[] } },
  { provider?: string; first?: number; after?: string }
>;

export const SetOrphanCleanupDocument = parse(`
  mutation SetOrphanCleanup($input: OrphanCleanupInput!) { setOrphanCleanup(input: $input) { enabled graceMinutes updatedBy } }`) as TypedDocumentNode<
  { setOrphanCleanup: { enabled: boolean; graceMinutes: number; updatedBy: string | null } },
  { input: { enabled: boolean; graceMinutes?: number | null } }
>;
