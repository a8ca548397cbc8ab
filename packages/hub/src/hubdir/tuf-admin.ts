/**
 * What an operator does with the offline TUF keys on the hub's directory (TUF 1.0 §5.3.4–5.3.5, §4.5): rotate root
 * (new root keys, a new threshold, or only a fresh expiry), sign a new top-level targets version (renewal, or a new
 * online releases key for the hash bins), and show where the repository stands. Each change is an audit-log entry.
 * The running hub needs no restart for a new root or targets version; after a new releases key it must be
 * restarted with it (it refuses to start with the old one: EW_ERR_TUF_SIGNER_MISMATCH).
 */
import { rename, rm } from "node:fs/promises";
import { MetadataKind, type Key, type Root } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { DatabaseTufStore } from "../store/tuf-files.ts";
import { loadLatest } from "../tuf/codec.ts";
import { roleOf } from "../tuf/init.ts";
import { exportTufSigner, generateTufSigner, importTufSigner, type TufSigner } from "../tuf/keys.ts";
import { resignTopLevelTargets } from "../tuf/offline.ts";
import { TufRepository } from "../tuf/repository.ts";
import { requireThreshold } from "../tuf/sign.ts";
import { rotateRoot, type RootChanges } from "../tuf/rotate.ts";
import { openHubDatabase, type OpenedHubDatabase } from "./database.ts";
import { readHubFile, writeFileAtomic } from "./files.ts";
import { hubPaths, readHubConfig, type HubPaths } from "./layout.ts";
import { createOfflineKeys, readOfflineKeys, signersListed, type OfflineKey } from "./offline-keys.ts";

/** Where the hub and its offline keys are. */
export interface TufAdminOptions {
  readonly dir: string;
  /** A PostgreSQL URL instead of the one hub.json names. */
  readonly postgres?: string | undefined;
  /** The directory holding the offline keys (root-N.pem, targets-N.pem), brought back for this operation. */
  readonly offlineDir: string;
  readonly now: Date;
}

/** What changes in a root rotation; nothing given renews root's expiry with the same keys. */
export interface RotateHubRootOptions extends TufAdminOptions {
  /** The new root threshold (default: the current one). */
  readonly threshold?: number | undefined;
  /** New root keys to create in the offline directory. */
  readonly newKeys?: number | undefined;
  /** Key ids of current root keys the new root no longer lists. */
  readonly removeKeys?: readonly string[] | undefined;
  /** Online roles whose key is replaced by a new one (HUB/tuf/ROLE.pem), e.g. after the server was compromised. */
  readonly newOnlineKeys?: readonly OnlineRootRole[] | undefined;
}

/** The online roles root names keys for. */
export type OnlineRootRole = "snapshot" | "timestamp";

/** One role of the repository as {@link hubTufStatus} and the changes report it. */
export interface TufRoleStatus {
  readonly version: number;
  readonly expires: string;
  readonly threshold: number;
  readonly keys: readonly { readonly keyId: string; readonly file?: string }[];
}

/**
 * Writes root version N+1, signed by a threshold of root N's keys found in the offline directory and by a
 * threshold of its own (EW_ERR_TUF_THRESHOLD otherwise). New keys are written to the offline directory first.
 * New online keys are written beside the old ones (ROLE.pem.new), take their place once root names them, and
 * re-sign the snapshot and timestamp at once. EW_ERR_USAGE for a key to remove that root N does not list;
 * EW_ERR_TUF_POLICY for a threshold above the keys.
 */
export async function rotateHubRoot(options: RotateHubRootOptions): Promise<TufRoleStatus> {
  return withHub(options, async (db, tuf, paths) => {
    const old = (await loadLatest(tuf, MetadataKind.Root, "root")).signed;
    const oldRole = roleOf(old, "root");
    const offline = await readOfflineKeys(options.offlineDir);
    const removed = options.removeKeys ?? [];
    for (const role of options.newOnlineKeys ?? [])
      if (role !== "snapshot" && role !== "timestamp")
        throw new EdgewardError("EW_ERR_USAGE", {
          detail: `root names online keys for snapshot and timestamp, not ${String(role)}`,
        });
    for (const id of removed)
      if (!oldRole.keyIDs.includes(id))
        throw new EdgewardError("EW_ERR_USAGE", { detail: `${id} is not a key of root version ${old.version}` });
    const current = signersListed(offline, oldRole.keyIDs);
    requireThreshold(current, oldRole, "root (current)");
    const changes: RootChanges = {};
    const keysChange = removed.length > 0 || (options.newKeys ?? 0) > 0 || options.threshold !== undefined;
    let all: OfflineKey[] = offline;
    if (keysChange) {
      const created = await createOfflineKeys(options.offlineDir, "root", options.newKeys ?? 0);
      all = [...offline, ...created];
      const keys: Key[] = [
        ...oldRole.keyIDs.filter((id) => !removed.includes(id)).map((id) => old.keys[id]!),
        ...created.map((k) => k.signer.key),
      ];
      const ids = keys.map((k) => k.keyID);
      Object.assign(changes, {
        root: { keys, signers: signersListed(all, ids), threshold: options.threshold ?? oldRole.threshold },
      });
    }
    const online = await stageOnlineKeys(paths, options.newOnlineKeys ?? []);
    for (const { role, signer } of online) Object.assign(changes, { [role]: signer.key });
    let version: number;
    try {
      version = await rotateRoot({ store: tuf, now: options.now, current, changes });
    } catch (err) {
      // Nothing names the keys made for this rotation: remove them, so a refused rotation leaves no stray key.
      const made = [...all.slice(offline.length).map((k) => k.file), ...online.map((k) => k.staged)];
      await Promise.all(made.map((f) => rm(f, { force: true })));
      throw err;
    }
    for (const { staged, file } of online) await rename(staged, file);
    if (online.length > 0) await refreshOnline(tuf, paths, options.now);
    const status = roleStatus((await loadLatest(tuf, MetadataKind.Root, "root")).signed, "root", all);
    await db.audit.append({
      time: options.now.toISOString(),
      actor: "cli",
      kind: "tuf.root.rotate",
      subject: `root:${version}`,
      details: {
        threshold: status.threshold,
        keys: status.keys.map((k) => k.keyId),
        removed: [...removed],
        newOnlineKeys: online.map((k) => `${k.role}:${k.signer.key.keyID}`),
      },
    });
    return status;
  });
}

/** What a new top-level targets version changes. */
export interface ResignHubTargetsOptions extends TufAdminOptions {
  /** Create a new online releases key (HUB/tuf/releases.pem) and delegate the hash bins to it. */
  readonly newReleasesKey?: boolean | undefined;
}

/**
 * Writes top-level targets version N+1 with a fresh expiry, signed by the offline targets keys found in the
 * offline directory (EW_ERR_TUF_THRESHOLD when too few), then re-signs the snapshot (which lists it), the bins
 * and the timestamp with the online keys. With `newReleasesKey` the new key is written beside the old one first
 * (releases.pem.new) and takes its place once the metadata names it.
 */
export async function resignHubTargets(options: ResignHubTargetsOptions): Promise<TufRoleStatus> {
  return withHub(options, async (db, tuf, paths) => {
    const root = (await loadLatest(tuf, MetadataKind.Root, "root")).signed;
    const offline = await readOfflineKeys(options.offlineDir);
    const signers = signersListed(offline, roleOf(root, "targets").keyIDs);
    const fresh = options.newReleasesKey === true ? generateTufSigner() : undefined;
    const staged = `${paths.tufReleases}.new`;
    if (fresh !== undefined) await writeFileAtomic(staged, exportTufSigner(fresh), 0o600);
    let version: number;
    try {
      version = await resignTopLevelTargets({
        store: tuf,
        now: options.now,
        signers,
        ...(fresh === undefined ? {} : { releasesKey: fresh.key }),
      });
    } catch (err) {
      if (fresh !== undefined) await rm(staged, { force: true });
      throw err;
    }
    if (fresh !== undefined) await rename(staged, paths.tufReleases);
    const releases = await refreshOnline(tuf, paths, options.now);
    const targets = await loadLatest(tuf, MetadataKind.Targets, "targets");
    const status = { ...roleStatus(root, "targets", offline), version, expires: targets.signed.expires };
    await db.audit.append({
      time: options.now.toISOString(),
      actor: "cli",
      kind: "tuf.targets.sign",
      subject: `targets:${version}`,
      details: { releasesKey: releases.key.keyID, newReleasesKey: fresh !== undefined },
    });
    return status;
  });
}

/** Every top-level role of the repository, as {@link hubTufStatus} reports it. */
export interface HubTufStatus {
  readonly root: TufRoleStatus;
  readonly targets: TufRoleStatus;
  readonly snapshot: TufRoleStatus;
  readonly timestamp: TufRoleStatus;
  /** The online key the hash bins are delegated to. */
  readonly releasesKeyId: string;
}

/** Versions, expiries, thresholds and key ids of the top-level roles; with an offline directory, its key files. */
export async function hubTufStatus(options: {
  readonly dir: string;
  readonly postgres?: string | undefined;
  readonly offlineDir?: string | undefined;
}): Promise<HubTufStatus> {
  const offline = options.offlineDir === undefined ? [] : await readOfflineKeys(options.offlineDir);
  return withHub(options, async (_db, tuf): Promise<HubTufStatus> => {
    const root = await loadLatest(tuf, MetadataKind.Root, "root");
    const targets = await loadLatest(tuf, MetadataKind.Targets, "targets");
    const of = (name: string, m: { signed: { version: number; expires: string } }) => ({
      ...roleStatus(root.signed, name, offline),
      version: m.signed.version,
      expires: m.signed.expires,
    });
    return {
      root: of("root", root),
      targets: of("targets", targets),
      snapshot: of("snapshot", await loadLatest(tuf, MetadataKind.Snapshot, "snapshot")),
      timestamp: of("timestamp", await loadLatest(tuf, MetadataKind.Timestamp, "timestamp")),
      releasesKeyId: targets.signed.delegations?.succinctRoles?.keyIDs[0] ?? "",
    };
  });
}

function roleStatus(root: Root, name: string, offline: readonly OfflineKey[]): TufRoleStatus {
  const role = roleOf(root, name);
  return {
    version: root.version,
    expires: root.expires,
    threshold: role.threshold,
    keys: role.keyIDs.map((keyId) => {
      const file = offline.find((k) => k.signer.key.keyID === keyId)?.file;
      return file === undefined ? { keyId } : { keyId, file };
    }),
  };
}

/**
 * Opens the repository with the online keys in HUB/tuf/ (as a restarted `serve` would) and re-signs every online
 * role now, so what the offline keys just changed is served at once. Returns the releases signer.
 */
async function refreshOnline(tuf: DatabaseTufStore, paths: HubPaths, now: Date): Promise<TufSigner> {
  const [snapshot, timestamp, releases] = await Promise.all(
    [paths.tufSnapshot, paths.tufTimestamp, paths.tufReleases].map(async (p) => importTufSigner(await readHubFile(p))),
  );
  const online = { snapshot: snapshot!, timestamp: timestamp!, releases: releases! };
  await (await TufRepository.open({ store: tuf, online, clock: () => now })).refresh(true);
  return online.releases;
}

/** New keys for `roles`, each written to ROLE.pem.new (0600) before any metadata names it. */
async function stageOnlineKeys(paths: HubPaths, roles: readonly OnlineRootRole[]) {
  const staged = [];
  for (const role of new Set(roles)) {
    const file = role === "snapshot" ? paths.tufSnapshot : paths.tufTimestamp;
    const signer = generateTufSigner();
    await writeFileAtomic(`${file}.new`, exportTufSigner(signer), 0o600);
    staged.push({ role, signer, file, staged: `${file}.new` });
  }
  return staged;
}

async function withHub<T>(
  options: Pick<TufAdminOptions, "dir" | "postgres">,
  fn: (db: OpenedHubDatabase, tuf: DatabaseTufStore, paths: HubPaths) => Promise<T>,
): Promise<T> {
  const paths = hubPaths(options.dir);
  const db = await openHubDatabase(paths, await readHubConfig(paths), options.postgres);
  try {
    return await fn(db, new DatabaseTufStore(db.store), paths);
  } finally {
    await db.close();
  }
}
