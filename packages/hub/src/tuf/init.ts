/**
 * Creating the hub's TUF repository: root version 1 and every other role's first version, with consistent
 * snapshots from the start (TUF 1.0 §4.3 `consistent_snapshot`, §7), so no file a client fetched ever changes.
 */
import { Metadata, MetaFile, Snapshot, Targets, Timestamp, type Root } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { buildRoot, buildTopTargets } from "./build.ts";
import { roleFiles } from "./codec.ts";
import type { TufSigner } from "./keys.ts";
import {
  checkPolicy,
  DEFAULT_TUF_POLICY,
  expiresAt,
  SPEC_VERSION,
  type TufPolicy,
  type TufRoleKind,
} from "./layout.ts";
import { signRole } from "./sign.ts";
import type { TufFile, TufMetadataStore } from "./store.ts";

/** The keys kept offline (HUB/offline/): root's and the top-level targets role's. */
export interface OfflineSigners {
  readonly root: readonly TufSigner[];
  readonly targets: readonly TufSigner[];
}

/** The keys the running hub holds: snapshot, timestamp and the hash bins of releases. */
export interface OnlineSigners {
  readonly snapshot: TufSigner;
  readonly timestamp: TufSigner;
  readonly releases: TufSigner;
}

/** What {@link initTufRepository} needs. */
export interface InitTufOptions {
  readonly store: TufMetadataStore;
  readonly offline: OfflineSigners;
  readonly online: OnlineSigners;
  readonly now: Date;
  readonly policy?: TufPolicy;
}

/**
 * Writes version 1 of root, targets, every hash bin, snapshot and timestamp, all in one store write. Root lists
 * every given root key with the policy's threshold, and so for targets; fewer keys than the threshold fail with
 * EW_ERR_TUF_THRESHOLD. EW_ERR_TUF_ALREADY_INITIALISED when the store already holds a root.
 */
export async function initTufRepository(options: InitTufOptions): Promise<void> {
  const { store, offline, online, now } = options;
  const policy = options.policy ?? DEFAULT_TUF_POLICY;
  checkPolicy(policy);
  const expires = (kind: TufRoleKind) => expiresAt(now, policy.expiry[kind]);
  await store.exclusive(async () => {
    if ((await store.get("root.json")) !== undefined) throw new EdgewardError("EW_ERR_TUF_ALREADY_INITIALISED");
    const root = new Metadata(
      buildRoot({
        version: 1,
        expires: expires("root"),
        root: { keys: offline.root.map((s) => s.key), threshold: policy.rootThreshold },
        targets: { keys: offline.targets.map((s) => s.key), threshold: policy.targetsThreshold },
        snapshot: online.snapshot.key,
        timestamp: online.timestamp.key,
      }),
    );
    signRole(root, offline.root, roleOf(root.signed, "root"), "root");
    const files: TufFile[] = [...roleFiles("root", root)];

    const targets = new Metadata(buildTopTargets(1, expires("targets"), online.releases.key, policy.binBits));
    signRole(targets, offline.targets, roleOf(root.signed, "targets"), "targets");
    const targetsFiles = roleFiles("targets", targets);
    files.push(...targetsFiles);
    const meta: Record<string, MetaFile> = { "targets.json": metaFor(1, targetsFiles[0]) };

    const succinct = targets.signed.delegations?.succinctRoles;
    if (succinct === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "no succinct roles" });
    for (const bin of succinct.getRoles()) {
      const binMetadata = new Metadata(
        new Targets({ version: 1, specVersion: SPEC_VERSION, expires: expires("releases") }),
      );
      signRole(binMetadata, [online.releases], succinct, bin);
      const binFiles = roleFiles(bin, binMetadata);
      files.push(...binFiles);
      meta[`${bin}.json`] = metaFor(1, binFiles[0]);
    }

    const snapshot = new Metadata(
      new Snapshot({ version: 1, specVersion: SPEC_VERSION, expires: expires("snapshot"), meta }),
    );
    signRole(snapshot, [online.snapshot], roleOf(root.signed, "snapshot"), "snapshot");
    const snapshotFiles = roleFiles("snapshot", snapshot);
    files.push(...snapshotFiles);

    const timestamp = new Metadata(
      new Timestamp({
        version: 1,
        specVersion: SPEC_VERSION,
        expires: expires("timestamp"),
        snapshotMeta: metaFor(1, snapshotFiles[0]),
      }),
    );
    signRole(timestamp, [online.timestamp], roleOf(root.signed, "timestamp"), "timestamp");
    files.push(...roleFiles("timestamp", timestamp));
    await store.putAll(files);
  });
}

/** The role entry `name` of `root`; EW_ERR_TUF_METADATA_CORRUPT when root lacks it. */
export function roleOf(root: Root, name: string): NonNullable<Root["roles"][string]> {
  const role = root.roles[name];
  if (role === undefined)
    throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: `root has no ${name} role` });
  return role;
}

/** Snapshot's or timestamp's record of a metadata file: its version and length (TUF 1.0 §4.4 METAFILES). */
export function metaFor(version: number, file: TufFile | undefined): MetaFile {
  if (file === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "no file to describe" });
  return new MetaFile({ version, length: file.bytes.length });
}
