import type { Role } from './Role.ts';

/** A verified caller: who they are, which tenant they act in, what they may do, and until when. */
export interface Identity {
  /** The token's `sub`: a stable id of the user or service account. */
  subject: string;
  /** The tenant every read and write of this caller is confined to. */
  tenantId: string;
  /** The caller's known roles, weakest first, without duplicates; never empty. */
  roles: Role[];
  /** When the token that carried this identity expires. */
  expiresAt: Date;
}
