/**
 * Root rotation with the offline keys (TUF 1.0 §5.3.4–5.3.5): version N+1 of root is signed by a threshold of the
 * keys root N trusts and by a threshold of its own keys, so a client that holds only root N walks to N+1. A new
 * root may also name new snapshot, timestamp or targets keys; the hub then reopens its repository with the new
 * online keys and re-signs snapshot and timestamp (`TufRepository.refresh(true)`).
 */
import { Metadata, MetadataKind, type Key } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { buildRoot } from "./build.ts";
import { loadLatest, roleFiles } from "./codec.ts";
import { roleOf } from "./init.ts";
import type { TufSigner } from "./keys.ts";
import { DEFAULT_TUF_POLICY, expiresAt, type TufPolicy } from "./layout.ts";
import { requireThreshold, signRole } from "./sign.ts";
import type { TufMetadataStore } from "./store.ts";

/** What changes in the new root; anything left out keeps the current root's keys and thresholds. */
export interface RootChanges {
  /**
   * The new root keys: `keys` lists them (default: the signers' keys) and those of `signers` it lists sign the new
   * root, so keys whose holders are elsewhere can stay listed as long as the signers present reach `threshold`.
   */
  readonly root?: {
    readonly signers: readonly TufSigner[];
    readonly threshold: number;
    readonly keys?: readonly Key[];
  };
  readonly targets?: { readonly keys: readonly Key[]; readonly threshold: number };
  readonly snapshot?: Key;
  readonly timestamp?: Key;
}

/** What {@link rotateRoot} needs. */
export interface RotateRootOptions {
  readonly store: TufMetadataStore;
  readonly now: Date;
  /** Keys of the current root; together they must reach its threshold (EW_ERR_TUF_THRESHOLD otherwise). */
  readonly current: readonly TufSigner[];
  readonly changes: RootChanges;
  readonly policy?: TufPolicy;
}

/** Writes root version N+1 and returns N+1. Without new root keys, `current` signs for both sides. */
export async function rotateRoot(options: RotateRootOptions): Promise<number> {
  const { store, now, current, changes } = options;
  const policy = options.policy ?? DEFAULT_TUF_POLICY;
  const newRoot = changes.root;
  if (newRoot !== undefined) {
    const count = new Set((newRoot.keys ?? newRoot.signers.map((s) => s.key)).map((k) => k.keyID)).size;
    if (!Number.isInteger(newRoot.threshold) || newRoot.threshold < 1 || newRoot.threshold > count)
      throw new EdgewardError("EW_ERR_TUF_POLICY", {
        detail: `a root threshold of ${newRoot.threshold} with ${count} root keys`,
      });
  }
  return store.exclusive(async () => {
    const old = (await loadLatest(store, MetadataKind.Root, "root")).signed;
    const oldRoot = roleOf(old, "root");
    requireThreshold(current, oldRoot, "root (current)");
    const keysOf = (role: string) =>
      roleOf(old, role)
        .keyIDs.map((id) => old.keys[id])
        .filter((k) => k !== undefined);
    const targetsRole = roleOf(old, "targets");
    const [snapshotKey] = keysOf("snapshot");
    const [timestampKey] = keysOf("timestamp");
    const rootSigners = changes.root?.signers ?? current;
    const next = new Metadata(
      buildRoot({
        version: old.version + 1,
        expires: expiresAt(now, policy.expiry.root),
        root: {
          keys: changes.root ? (changes.root.keys ?? rootSigners.map((s) => s.key)) : keysOf("root"),
          threshold: changes.root?.threshold ?? oldRoot.threshold,
        },
        targets: changes.targets ?? { keys: keysOf("targets"), threshold: targetsRole.threshold },
        snapshot: changes.snapshot ?? required(snapshotKey),
        timestamp: changes.timestamp ?? required(timestampKey),
      }),
    );
    // §5.3.4: a threshold of the old root's keys; §5.3.5: a threshold of the new root's own keys.
    const signers = [...new Map([...current, ...rootSigners].map((s) => [s.key.keyID, s])).values()];
    requireThreshold(signers, oldRoot, "root (current)");
    signRole(next, signers, roleOf(next.signed, "root"), "root (new)");
    await store.putAll(roleFiles("root", next));
    return next.signed.version;
  });
}

function required(key: Key | undefined): Key {
  if (key === undefined) {
    throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: "root lists no key for an online role" });
  }
  return key;
}
