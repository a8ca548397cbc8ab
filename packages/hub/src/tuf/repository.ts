/**
 * The hub's online TUF repository: serves metadata files to clients, publishes targets into the hash bins, and
 * keeps the online roles (timestamp, snapshot, bins) signed and unexpired. It holds only the online keys; what the
 * offline keys sign (root, top-level targets) is only read here.
 */
import { Metadata, MetadataKind, TargetFile, Timestamp, type MetaFile, type Targets } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { decodeMetadata, loadLatest, roleFiles } from "./codec.ts";
import { loadDocument, signDocument, type BinDocument, type SnapshotDocument, type TargetEntry } from "./documents.ts";
import type { OnlineSigners } from "./init.ts";
import { metaFor, roleOf } from "./init.ts";
import {
  DEFAULT_TUF_POLICY,
  checkPolicy,
  expiresAt,
  isClientMetadataName,
  latestName,
  needsRefresh,
  SPEC_VERSION,
  type TufPolicy,
  type TufRoleKind,
} from "./layout.ts";
import { requireListed, signRole, type RoleKeys } from "./sign.ts";
import type { TufFile, TufMetadataStore } from "./store.ts";
import { buildTargetFile, type TargetInput } from "./target.ts";

/** What {@link TufRepository.open} needs. */
export interface TufRepositoryOptions {
  readonly store: TufMetadataStore;
  readonly online: OnlineSigners;
  /** The hub's clock; expiry and refresh are decided by it, never by `Date.now()`. */
  readonly clock: () => Date;
  /** Lifetimes for the roles the hub re-signs; the thresholds and bin count come from the stored metadata. */
  readonly policy?: TufPolicy;
}

type SuccinctRoles = NonNullable<NonNullable<Targets["delegations"]>["succinctRoles"]>;

/** The online side of the hub's TUF repository (see the module comment). */
export class TufRepository {
  readonly #store: TufMetadataStore;
  readonly #online: OnlineSigners;
  readonly #clock: () => Date;
  readonly #policy: TufPolicy;
  readonly #bins: SuccinctRoles;
  readonly #snapshotRole: RoleKeys;
  readonly #timestampRole: RoleKeys;

  private constructor(options: Required<TufRepositoryOptions>, bins: SuccinctRoles, roles: [RoleKeys, RoleKeys]) {
    this.#store = options.store;
    this.#online = options.online;
    this.#clock = options.clock;
    this.#policy = options.policy;
    this.#bins = bins;
    [this.#snapshotRole, this.#timestampRole] = roles;
  }

  /**
   * Opens the repository in `store`, checking that the online keys are the ones the current root (snapshot,
   * timestamp) and top-level targets (the bins' succinct delegation) name: EW_ERR_TUF_SIGNER_MISMATCH otherwise,
   * EW_ERR_TUF_NOT_INITIALISED when the store is empty.
   */
  static async open(options: TufRepositoryOptions): Promise<TufRepository> {
    const policy = options.policy ?? DEFAULT_TUF_POLICY;
    checkPolicy(policy);
    const root = (await loadLatest(options.store, MetadataKind.Root, "root")).signed;
    const top = (await loadLatest(options.store, MetadataKind.Targets, "targets")).signed;
    const bins = top.delegations?.succinctRoles;
    if (bins === undefined) {
      throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: "targets has no succinct delegation" });
    }
    const snapshotRole = roleOf(root, "snapshot");
    const timestampRole = roleOf(root, "timestamp");
    requireListed(options.online.snapshot, snapshotRole, "snapshot");
    requireListed(options.online.timestamp, timestampRole, "timestamp");
    requireListed(options.online.releases, bins, "releases");
    return new TufRepository({ ...options, policy }, bins, [snapshotRole, timestampRole]);
  }

  /**
   * The bytes of the metadata file `name` as a client asks for it ("timestamp.json", "N.root.json", …). The
   * timestamp is re-signed first when less than half its lifetime is left (the server-refreshed short expiry).
   * EW_ERR_TUF_METADATA_NOT_FOUND for any other name, or a version that does not exist.
   */
  async metadata(name: string): Promise<Uint8Array> {
    if (!isClientMetadataName(name)) throw new EdgewardError("EW_ERR_TUF_METADATA_NOT_FOUND", { detail: name });
    if (name === "timestamp.json") await this.refresh();
    const bytes = await this.#store.get(name);
    if (bytes === undefined) throw new EdgewardError("EW_ERR_TUF_METADATA_NOT_FOUND", { detail: name });
    return bytes;
  }

  /** The name of the hash bin that holds `path` (TAP 15: the leading bits of the path's SHA-256). */
  binFor(path: string): string {
    return this.#bins.getRoleForTarget(path);
  }

  /** The published target at `path`, or undefined. */
  async target(path: string): Promise<TargetFile | undefined> {
    const bin = await loadDocument<BinDocument>(this.#store, "targets", this.binFor(path));
    const entry = bin.targets[path];
    if (entry === undefined) return undefined;
    try {
      return TargetFile.fromJSON(path, entry as never);
    } catch (err) {
      throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: path, cause: err });
    }
  }

  /**
   * Publishes `targets` in one repository version: each changed bin, then the snapshot, then the timestamp.
   * A path that exists with the same length and hash has its custom metadata replaced (a rollout change); with
   * other contents it fails with EW_ERR_TUF_TARGET_EXISTS and nothing is written.
   */
  async publish(targets: readonly TargetInput[]): Promise<void> {
    const entries = targets.map((t) => {
      const file = buildTargetFile(t);
      return { path: file.path, entry: file.toJSON() as TargetEntry };
    });
    await this.#store.exclusive(async () => {
      const now = this.#clock();
      // Each bin touched is copied once, then edited in place: a batch costs one copy per bin, not per target.
      const changed = new Map<string, { version: number; targets: Record<string, TargetEntry> }>();
      for (const { path, entry } of entries) {
        const bin = this.binFor(path);
        let next = changed.get(bin);
        if (next === undefined) {
          const current = await loadDocument<BinDocument>(this.#store, "targets", bin);
          next = { version: current.version, targets: { ...current.targets } };
          changed.set(bin, next);
        }
        const existing = next.targets[path];
        if (existing !== undefined && !sameContents(existing, entry)) {
          throw new EdgewardError("EW_ERR_TUF_TARGET_EXISTS", { detail: path });
        }
        next.targets[path] = entry;
      }
      const bins = new Map([...changed].map(([bin, b]) => [bin, this.#nextBin(b.version, now, b.targets)]));
      await this.#store.putAll(await this.#nextSnapshotAndTimestamp(bins, now));
    });
  }

  /**
   * Re-signs what is due, holding the writer lock: the timestamp when less than half its lifetime is left; with
   * it the snapshot when that is due too; with the snapshot every bin that is due. `force` re-signs all of them now
   * (after a root or top-level targets version gave them new keys). Returns whether anything was written.
   */
  async refresh(force = false): Promise<boolean> {
    const due = async (): Promise<boolean> => {
      const timestamp = await loadLatest(this.#store, MetadataKind.Timestamp, "timestamp");
      return force || needsRefresh(timestamp.signed.expires, this.#policy.expiry.timestamp, this.#clock());
    };
    if (!(await due())) return false;
    return this.#store.exclusive(async () => {
      if (!(await due())) return false;
      const now = this.#clock();
      const snapshot = await loadDocument<SnapshotDocument>(this.#store, "snapshot", "snapshot");
      if (force || needsRefresh(snapshot.expires, this.#policy.expiry.snapshot, now)) {
        const changed = new Map<string, BinDocument>();
        for (const bin of this.#bins.getRoles()) {
          const current = await loadDocument<BinDocument>(this.#store, "targets", bin);
          if (force || needsRefresh(current.expires, this.#policy.expiry.releases, now)) {
            changed.set(bin, this.#nextBin(current.version, now, current.targets));
          }
        }
        await this.#store.putAll(await this.#nextSnapshotAndTimestamp(changed, now));
      } else {
        const current = await this.#currentTimestamp();
        await this.#store.putAll(this.#nextTimestamp(current, current.signed.snapshotMeta, now));
      }
      return true;
    });
  }

  #nextBin(version: number, now: Date, targets: Readonly<Record<string, TargetEntry>>): BinDocument {
    return { _type: "targets", ...this.#nextFields(version, "releases", now), targets };
  }

  // TUF 1.0 §4.4: the snapshot lists every targets file's version; only the changed bins' entries move.
  async #nextSnapshotAndTimestamp(changed: Map<string, BinDocument>, now: Date): Promise<TufFile[]> {
    const files: TufFile[] = [];
    const current = await loadDocument<SnapshotDocument>(this.#store, "snapshot", "snapshot");
    const meta: Record<string, { version: number; length?: number }> = { ...current.meta };
    // A new top-level targets version (signed offline, written by resignTopLevelTargets) enters the snapshot here.
    const top = await this.#store.get(latestName("targets"));
    if (top === undefined) throw new EdgewardError("EW_ERR_TUF_NOT_INITIALISED", { detail: "targets.json" });
    const topVersion = decodeMetadata(MetadataKind.Targets, top, "targets.json").signed.version;
    if (meta["targets.json"]?.version !== topVersion)
      meta["targets.json"] = { version: topVersion, length: top.length };
    for (const [bin, document] of changed) {
      const binFiles = signDocument(bin, document, [this.#online.releases], this.#bins);
      files.push(...binFiles);
      meta[`${bin}.json`] = { version: document.version, length: binFiles[0]?.bytes.length ?? 0 };
    }
    const snapshot: SnapshotDocument = {
      _type: "snapshot",
      ...this.#nextFields(current.version, "snapshot", now),
      meta,
    };
    const snapshotFiles = signDocument("snapshot", snapshot, [this.#online.snapshot], this.#snapshotRole);
    files.push(...snapshotFiles);
    const snapshotMeta = metaFor(snapshot.version, snapshotFiles[0]);
    files.push(...this.#nextTimestamp(await this.#currentTimestamp(), snapshotMeta, now));
    return files;
  }

  async #currentTimestamp(): Promise<Metadata<Timestamp>> {
    return loadLatest(this.#store, MetadataKind.Timestamp, "timestamp");
  }

  // TUF 1.0 §4.3: every new version of a role moves its version up by one and gets a fresh expiry.
  #nextFields(version: number, kind: TufRoleKind, now: Date) {
    return {
      spec_version: SPEC_VERSION,
      version: version + 1,
      expires: expiresAt(now, this.#policy.expiry[kind]),
    };
  }

  // TUF 1.0 §4.6: the timestamp names the snapshot's version and length; its own version always moves up.
  #nextTimestamp(current: Metadata<Timestamp>, snapshotMeta: MetaFile, now: Date): TufFile[] {
    const { spec_version: specVersion, ...fields } = this.#nextFields(current.signed.version, "timestamp", now);
    const timestamp = new Metadata(new Timestamp({ ...fields, specVersion, snapshotMeta }));
    signRole(timestamp, [this.#online.timestamp], this.#timestampRole, "timestamp");
    return roleFiles("timestamp", timestamp);
  }
}

function sameContents(a: TargetEntry, b: TargetEntry): boolean {
  return a.length === b.length && a.hashes["sha256"] === b.hashes["sha256"];
}
