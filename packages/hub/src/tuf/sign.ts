/**
 * Signing a role's metadata with the keys its delegator lists, refusing to produce metadata a client would reject
 * for too few signatures (TUF 1.0 §4.3 threshold, §5.3.4 for a new root).
 */
import type { Metadata } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import type { KindModel } from "./codec.ts";
import type { TufSigner } from "./keys.ts";

/** The part of a role (top-level, delegated or succinct) that says who must sign. */
export interface RoleKeys {
  readonly keyIDs: readonly string[];
  readonly threshold: number;
}

/**
 * Signs `metadata` with every signer in `signers` (replacing earlier signatures) after checking that those among
 * them that `role` lists reach its threshold; EW_ERR_TUF_THRESHOLD names the role otherwise.
 */
export function signRole(
  metadata: Metadata<KindModel[keyof KindModel]>,
  signers: readonly TufSigner[],
  role: RoleKeys,
  roleName: string,
): void {
  requireThreshold(signers, role, roleName);
  metadata.signatures = {};
  for (const signer of signers) metadata.sign(signer.sign, true);
}

/** Throws EW_ERR_TUF_THRESHOLD unless `signers` hold at least `role.threshold` distinct keys that `role` lists. */
export function requireThreshold(signers: readonly TufSigner[], role: RoleKeys, roleName: string): void {
  const listed = new Set(signers.map((s) => s.key.keyID).filter((id) => role.keyIDs.includes(id)));
  if (listed.size < role.threshold) {
    throw new EdgewardError("EW_ERR_TUF_THRESHOLD", {
      detail: `${roleName}: ${listed.size} of the ${role.threshold} keys required`,
    });
  }
}

/** Throws EW_ERR_TUF_SIGNER_MISMATCH unless `signer` is one of the keys `role` lists. */
export function requireListed(signer: TufSigner, role: RoleKeys, roleName: string): void {
  if (!role.keyIDs.includes(signer.key.keyID)) {
    throw new EdgewardError("EW_ERR_TUF_SIGNER_MISMATCH", { detail: `${roleName} key ${signer.key.keyID}` });
  }
}
