/** `JSON.stringify(new Date(...))` of a `timestamptz`, so the event payload matches what drizzle rows serialise to. */
export const isoTimestamp = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * SQL for a VM event's payload built from the `vms.vms` row alias `vm`: the same object as
 * `JSON.parse(JSON.stringify(vmRow))` of the drizzle row (see insertVmEvent in recordVmChange.ts).
 */
export const vmEventPayloadSql = (vm: string) => `jsonb_build_object(
    'id', ${vm}.id, 'tenantId', ${vm}.tenant_id, 'name', ${vm}.name, 'provider', ${vm}.provider, 'region', ${vm}.region,
    'instanceType', ${vm}.instance_type, 'image', ${vm}.image, 'status', ${vm}.status, 'providerId', ${vm}.provider_id,
    'privateIp', ${vm}.private_ip, 'publicIp', ${vm}.public_ip, 'labels', ${vm}.labels, 'version', ${vm}.version,
    'createdAt', ${isoTimestamp(`${vm}.created_at`)}, 'updatedAt', ${isoTimestamp(`${vm}.updated_at`)})`;
