/**
 * A new version of the top-level targets role, signed with the offline targets keys (TUF 1.0 §4.5): to renew it
 * before it expires, or to delegate the hash bins to a new online releases key (after that key leaked). The next
 * snapshot the hub signs lists it; after a key change the hub reopens its repository with the new releases key and
 * re-signs every bin (`TufRepository.refresh(true)`).
 */
import { Metadata, MetadataKind, type Key } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { buildTopTargets } from "./build.ts";
import { loadLatest, roleFiles } from "./codec.ts";
import { roleOf } from "./init.ts";
import type { TufSigner } from "./keys.ts";
import { DEFAULT_TUF_POLICY, expiresAt, type TufPolicy } from "./layout.ts";
import { signRole } from "./sign.ts";
import type { TufMetadataStore } from "./store.ts";

/** What {@link resignTopLevelTargets} needs. */
export interface ResignTargetsOptions {
  readonly store: TufMetadataStore;
  readonly now: Date;
  /** Offline targets keys; those root lists must reach its targets threshold (EW_ERR_TUF_THRESHOLD otherwise). */
  readonly signers: readonly TufSigner[];
  /** A new online key for the hash bins; the current one is kept when left out. */
  readonly releasesKey?: Key;
  readonly policy?: TufPolicy;
}

/** Writes top-level targets version N+1 (same bins, fresh expiry) and returns N+1. */
export async function resignTopLevelTargets(options: ResignTargetsOptions): Promise<number> {
  const policy = options.policy ?? DEFAULT_TUF_POLICY;
  return options.store.exclusive(async () => {
    const root = (await loadLatest(options.store, MetadataKind.Root, "root")).signed;
    const current = (await loadLatest(options.store, MetadataKind.Targets, "targets")).signed;
    const bins = current.delegations?.succinctRoles;
    const releasesKey = options.releasesKey ?? current.delegations?.keys[bins?.keyIDs[0] ?? ""];
    if (bins === undefined || releasesKey === undefined) {
      throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: "targets has no succinct delegation" });
    }
    const next = new Metadata(
      buildTopTargets(current.version + 1, expiresAt(options.now, policy.expiry.targets), releasesKey, bins.bitLength),
    );
    signRole(next, options.signers, roleOf(root, "targets"), "targets");
    await options.store.putAll(roleFiles("targets", next));
    return next.signed.version;
  });
}
